"""Avatar images: checked with Pillow, re-encoded as a 256x256 PNG under a random name.

Re-encoding drops whatever else the upload carried (metadata, polyglot payloads); the random
token keeps avatar URLs unguessable from the person's id.
"""

from __future__ import annotations

import io
import re
import secrets
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from portal.errors import DomainError

ALLOWED_FORMATS = {"PNG", "JPEG", "WEBP", "GIF"}
MAX_SIDE = 4096
SIZE = 256
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def avatar_folder(instance_path: str | Path) -> Path:
    return Path(instance_path) / "uploads" / "avatars"


def process_avatar(data: bytes, max_bytes: int) -> bytes:
    """The PNG to store for this upload, or a DomainError saying what is wrong with it."""
    if not data:
        raise DomainError("Please choose an image file.", field="avatar")
    if len(data) > max_bytes:
        raise DomainError(f"The image is too large: at most {max_bytes // 1024} KB.", field="avatar")
    # Image.open reads only the header, so sizes are checked before any pixel is decoded; Pillow's own
    # MAX_IMAGE_PIXELS guard (a warning, made an error here) backs this up for formats that lie.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ALLOWED_FORMATS:
                    raise DomainError("Please upload a PNG, JPEG, WebP or GIF image.", field="avatar")
                too_many = probe.width * probe.height > min(Image.MAX_IMAGE_PIXELS or MAX_SIDE ** 2, MAX_SIDE ** 2)
                if probe.width > MAX_SIDE or probe.height > MAX_SIDE or too_many:
                    raise DomainError(f"The image can be at most {MAX_SIDE}×{MAX_SIDE} pixels.", field="avatar")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.seek(0)
                image = ImageOps.exif_transpose(image)
                image = image.convert("RGBA")
                image = ImageOps.fit(image, (SIZE, SIZE), Image.Resampling.LANCZOS)
    except DomainError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError("That file is not an image we can use (PNG, JPEG, WebP or GIF, "
                          f"at most {MAX_SIDE}×{MAX_SIDE} pixels).", field="avatar") from None
    except (OSError, SyntaxError, ValueError):
        raise DomainError("That image file is damaged or incomplete.", field="avatar") from None
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def save_avatar(folder: Path, png: bytes) -> str:
    """Write the PNG under a new random token and return the token."""
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(18)
    (folder / f"{token}.png").write_bytes(png)
    return token


def avatar_path(folder: Path, token: str) -> Path | None:
    """The file of this token, or None for malformed tokens and missing files."""
    if not TOKEN_PATTERN.match(token or ""):
        return None
    path = folder / f"{token}.png"
    return path if path.is_file() else None


def delete_avatar_file(folder: Path, token: str | None) -> None:
    path = avatar_path(folder, token) if token else None
    if path is not None:
        path.unlink(missing_ok=True)

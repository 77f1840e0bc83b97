"""One HTTP request to a vetted destination: signed, pinned to the checked address, no redirects.

urllib3 (already installed under requests) connects to the IP address that
portal.webhooks.addresses vetted, while the Host header, TLS SNI and certificate verification use
the host name from the URL (`server_hostname` / `assert_hostname`). requests cannot do that
without a custom adapter, and resolving again at connect time would reopen DNS rebinding.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import urllib3
from standardwebhooks import Webhook

from portal.webhooks.addresses import Destination

USER_AGENT = "PartnerMesh-Webhooks/1"
SNIPPET_BYTES = 1000


@dataclass
class Outcome:
    """What one request got: a status code, or an error when there was no HTTP answer."""

    status_code: int | None
    duration_ms: int
    error: str = ""
    response_snippet: str = ""
    retry_after: float | None = None  # seconds the endpoint asked us to wait (Retry-After on 429/503)

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def signed_headers(secrets: list[str], message_id: str, event_type: str, body: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: id, timestamp and the v1 HMAC-SHA256 signature over
    "{id}.{timestamp}.{body}" (https://www.standardwebhooks.com/) with each secret, space
    separated (the current one first; the previous one too while a rotation overlaps), plus our
    event type."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(Webhook(secret).sign(message_id, at, body) for secret in secrets),
        "PartnerMesh-Event-Type": event_type,
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def _pool(destination: Destination, address: str, timeout: urllib3.Timeout) -> urllib3.HTTPConnectionPool:
    host = f"[{address}]" if ":" in address else address
    if destination.scheme == "https":
        return urllib3.HTTPSConnectionPool(host, destination.port, timeout=timeout, retries=False, maxsize=1,
                                           cert_reqs="CERT_REQUIRED", server_hostname=destination.host,
                                           assert_hostname=destination.host)
    return urllib3.HTTPConnectionPool(host, destination.port, timeout=timeout, retries=False, maxsize=1)


def post(destination: Destination, body: str, headers: dict[str, str], *, connect_timeout: float = 5.0,
         read_timeout: float = 10.0) -> Outcome:
    """POST `body` to the destination's vetted addresses (the next one only when connecting
    fails); never follows a redirect, reads at most SNIPPET_BYTES of the answer."""
    timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
    started = time.monotonic()
    error = "no address to connect to"
    for address in destination.addresses:
        pool = _pool(destination, address, timeout)
        try:
            response = pool.urlopen("POST", destination.target, body=body.encode(),
                                    headers={**headers, "Host": destination.host_header},
                                    redirect=False, retries=False, assert_same_host=False, preload_content=False)
            try:
                snippet = response.read(SNIPPET_BYTES, decode_content=False)
            except urllib3.exceptions.HTTPError:
                snippet = b""
            response.release_conn()
            status = response.status
            note = f"redirect to {response.headers.get('Location', '?')[:200]} not followed" \
                if 300 <= status < 400 else ""
            return Outcome(status, _since(started), note, snippet.decode("utf-8", "replace"),
                           retry_after=retry_after(response.headers.get("Retry-After")))
        except urllib3.exceptions.NewConnectionError as exc:
            error = f"could not connect to {address}: {_reason(exc)}"
        except urllib3.exceptions.ConnectTimeoutError:
            error = f"connecting to {address} timed out after {connect_timeout:g} s"
        except urllib3.exceptions.ReadTimeoutError:
            return Outcome(None, _since(started), f"no answer within {read_timeout:g} s")
        except urllib3.exceptions.SSLError as exc:
            return Outcome(None, _since(started), f"TLS failed: {_reason(exc)}"[:500])
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return Outcome(None, _since(started), f"{type(exc).__name__}: {_reason(exc)}"[:500])
        finally:
            pool.close()
    return Outcome(None, _since(started), error[:500])


def retry_after(value: str | None) -> float | None:
    """A Retry-After header (RFC 9110 10.2.3: seconds or an HTTP date) as seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _since(started: float) -> int:
    return int(round((time.monotonic() - started) * 1000))


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(reason)[:300]

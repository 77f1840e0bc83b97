"""Interchange: import and export of the ecosystem as JSON Lines (/work/shared/spec/interchange.md).

`validate_file` checks a whole file first, `import_records` applies it in the caller's transaction,
`export_records` yields everything that can be imported. Each record kind is a handler in
`portal.interchange.registry`; forum kinds (category, thread, post) plug in there later.
"""

from portal.interchange.core import (  # noqa: F401
    InterchangeFileError,
    Problem,
    Record,
    dump_record,
    export_records,
    import_records,
    validate_file,
    validate_objects,
    write_export,
)

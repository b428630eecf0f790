#!/usr/bin/env python3
"""Validates a JSON document against a JSON Schema with the `jsonschema`
package (Debian's python3-jsonschema), the dialect taken from the schema's
own "$schema". Prints one line per error (at most 20) and exits 1 when the
document is invalid, 0 when it is valid.

Usage: validate_schema.py SCHEMA DOCUMENT

A separate script, so the tests can run it with whichever python has
jsonschema (meson's python3 may not be Debian's).
"""

import json
import sys

import jsonschema


def main(schema_path, document_path):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    with open(document_path, encoding="utf-8") as f:
        document = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    for e in errors[:20]:
        path = "/".join(str(p) for p in e.absolute_path) or "(top)"
        print(f"{path}: {e.message[:300]}")
    print(f"{cls.__name__}: {len(errors)} error{'' if len(errors) == 1 else 's'}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

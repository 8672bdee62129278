"""Validates `ce_type<TAB>ce_schemaversion<TAB>payload` lines (as the kcat recipe prints them) against the schema files."""
import json
import sys
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

schemas = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/contract/schemas/public")
validators = {}
for line in sys.stdin:
    ce_type, version, payload = line.rstrip("\n").split("\t", 2)
    key = f"{ce_type}.v{version}"
    if key not in validators:
        schema = json.loads((schemas / f"{key}.schema.json").read_text())
        validators[key] = Draft202012Validator(schema, format_checker=FormatChecker())
    validators[key].validate(json.loads(payload))  # raises on a record that breaks its schema
    print(ce_type, payload, flush=True)

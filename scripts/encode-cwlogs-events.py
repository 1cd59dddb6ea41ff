#!/usr/bin/env python3
"""Encodes the readable CloudWatch Logs subscription messages in
events/alert-router/decoded/ into the Lambda payloads CloudWatch Logs sends
(`{"awslogs": {"data": base64(gzip(JSON))}}`) in events/alert-router/.

Run after editing a file in events/alert-router/decoded/: python3 scripts/encode-cwlogs-events.py
The gzip header's timestamp is fixed so the output is reproducible.
"""

import base64
import gzip
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent / "events" / "alert-router"
for src in sorted((root / "decoded").glob("cwlogs-*.json")):
    message = json.loads(src.read_text())
    raw = json.dumps(message, separators=(",", ":")).encode()
    data = base64.b64encode(gzip.compress(raw, mtime=0)).decode()
    out = root / src.name
    out.write_text(json.dumps({"awslogs": {"data": data}}, indent=2) + "\n")
    print(f"{out.relative_to(root.parent.parent)}: {len(message.get('logEvents', []))} log events")

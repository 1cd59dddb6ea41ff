#!/usr/bin/env python3
"""Rewrites README.md's table of built-in rules (and its count) from the rule
files, in the order of shared/src/detect/builtin.rs. Run after adding or
changing a built-in; `readme_lists_every_builtin_with_its_level_and_technique`
fails until the table matches. Needs PyYAML (installed with the emulator's
requirements)."""
import pathlib
import re

import yaml

root = pathlib.Path(__file__).resolve().parent.parent
order = re.findall(r'rule!\("([^"]+)"\)', (root / "shared/src/detect/builtin.rs").read_text())
def needs_text(needs):
    """The placeholders a rule needs; the stack's name and resources are
    alternatives (either turns the stack rules on)."""
    if not needs:
        return "nothing"
    names = [f"`%{n}%`" for n in needs if n != "stack_resource"]
    if "stack_resource" in needs:
        stack = "`%stack_name%` or `%stack_resource%`"
        names = [n if n != "`%stack_name%`" else stack for n in names]
    return ", ".join(names)


rows = ["  | rule | title | level | ATT&CK | needs |", "  | --- | --- | --- | --- | --- |"]
for name in order:
    text = (root / "shared/rules/builtin" / name).read_text()
    rule = yaml.safe_load(text)
    techniques = [t.split(".", 1)[1].upper() for t in rule.get("tags", []) if re.match(r"attack\.t\d", t)]
    needs = sorted(set(re.findall(r"%(\w+)%", text)))
    rows.append(
        f"  | `{name[:-4]}` | {rule['title']} | {rule['level']} | {', '.join(techniques)} | "
        f"{needs_text(needs)} |"
    )
readme = root / "README.md"
lines = readme.read_text().split("\n")
start = next(i for i, l in enumerate(lines) if l.startswith("  | rule | title | level"))
end = start
while end < len(lines) and lines[end].startswith("  |"):
    end += 1
lines[start:end] = rows
text = re.sub(r"Sigma rules \(\d+ built-in, plus yours\)", f"Sigma rules ({len(order)} built-in, plus yours)", "\n".join(lines))
readme.write_text(text)
arch = root / "ARCHITECTURE.md"
arch.write_text(re.sub(r'\("\d+ built-in"\)', f'("{len(order)} built-in")', arch.read_text()))
print(f"{len(order)} built-in rules in README.md")

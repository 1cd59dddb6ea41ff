"""A small interpreter of the Amazon States Language, for the one state
machine trailguard deploys (template.yaml, BackfillStateMachine), so that
its definition is run end to end against the emulator: no Step Functions
emulator runs here (Step Functions Local is a download from AWS, and
moto's interpreter neither writes the ResultWriter's result files nor runs
a Lambda function without Docker).

It implements what that definition uses, as AWS documents it, and refuses
anything else (so a new construct in the template fails the test instead
of being skipped):

- JSONPath-mode ``Parameters`` / ``ItemSelector`` (keys ending ``.$`` are
  paths into the state input, or into the context object with ``$$``),
  ``ResultSelector``, ``ResultPath``, ``OutputPath``
  ("Processing input and output in Step Functions");
- ``Task`` on ``arn:aws:states:::lambda:invoke``: the result is
  ``{"ExecutedVersion", "Payload", "StatusCode"}``; a function error is the
  error named by the function's ``errorType`` with its message as the cause
  ("Invoke an AWS Lambda function with Step Functions");
- ``Retry`` (attempts counted, no waiting) and ``Catch``, with
  ``States.ALL`` and ``States.TaskFailed`` ("Handling errors in Step
  Functions workflows");
- ``Map`` in Distributed mode: ``ItemReader`` on ``s3:getObject`` with
  ``InputType: JSON``, ``MaxConcurrencyPath`` (checked to be a positive
  integer; items run one after another), ``ToleratedFailurePercentage``,
  and ``ResultWriter`` writing ``manifest.json``, ``SUCCEEDED_0.json`` and
  ``FAILED_0.json`` under ``PREFIX/MAP-RUN-ID/`` with the entry fields of
  the ResultWriter page (``Input`` and ``Output`` as JSON strings); the
  state's output is ``{"MapRunArn", "ResultWriterDetails": {"Bucket",
  "Key"}}``. The manifest's own fields are not in AWS's documentation: the
  de-facto shape (``DestinationBucket``, ``MapRunArn``, ``ResultFiles``)
  is written (docs/aws-behavior.md);
- ``Choice`` with ``Variable`` and ``StringEquals``; ``Fail``; ``Succeed``.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any, Callable


class Unsupported(Exception):
    """The definition uses something this interpreter does not implement."""


class StatesError(Exception):
    """An error raised in a state: ``Error`` and ``Cause``."""

    def __init__(self, error: str, cause: str):
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


def path_get(doc: Any, path: str) -> Any:
    """A reference path: ``$`` or ``$.a.b`` (what the definition uses)."""
    if path == "$":
        return doc
    if not path.startswith("$."):
        raise Unsupported(f"path {path!r}")
    cur = doc
    for part in path[2:].split("."):
        if not isinstance(cur, dict) or part not in cur:
            raise StatesError("States.Runtime", f"the JSONPath {path!r} could not be found in the input")
        cur = cur[part]
    return cur


def path_set(doc: Any, path: str | None, value: Any) -> Any:
    """``ResultPath``: ``$`` replaces the input, ``$.a.b`` sets a field
    (creating objects on the way), ``null`` discards the result."""
    if path is None:
        return doc
    if path == "$":
        return value
    if not path.startswith("$."):
        raise Unsupported(f"ResultPath {path!r}")
    out = copy.deepcopy(doc) if isinstance(doc, dict) else {}
    cur = out
    parts = path[2:].split(".")
    for p in parts[:-1]:
        cur = cur.setdefault(p, {})
    cur[parts[-1]] = value
    return out


def evaluate(template: Any, data: Any, context: dict) -> Any:
    """A payload template: ``key.$`` values are paths (``$$`` into the
    context object)."""
    if isinstance(template, dict):
        out = {}
        for k, v in template.items():
            if k.endswith(".$"):
                if not isinstance(v, str):
                    raise Unsupported(f"{k}: {v!r}")
                out[k[:-2]] = path_get(context, v[1:]) if v.startswith("$$") else path_get(data, v)
            else:
                out[k] = evaluate(v, data, context)
        return out
    if isinstance(template, list):
        return [evaluate(v, data, context) for v in template]
    return template


def matches(names: list[str], error: str) -> bool:
    for n in names:
        if n == "States.ALL" or n == error:
            return True
        if n == "States.TaskFailed" and error != "States.Timeout":
            return True
    return False


Invoke = Callable[[str, dict], tuple[bool, Any]]

KNOWN = {
    "Task": {"Type", "Resource", "Parameters", "ResultSelector", "ResultPath", "OutputPath", "Retry", "Catch",
             "Next", "End", "Comment"},
    "Map": {"Type", "Label", "ItemReader", "ItemSelector", "ItemProcessor", "MaxConcurrencyPath",
            "MaxConcurrency", "ToleratedFailurePercentage", "ResultWriter", "ResultPath", "Catch", "Next",
            "End", "Comment"},
    "Choice": {"Type", "Choices", "Default", "Comment"},
    "Fail": {"Type", "Error", "Cause", "Comment"},
    "Succeed": {"Type", "Comment"},
}


class Machine:
    """Runs one state machine definition; ``invoke(function, payload)``
    answers ``(True, response)`` or ``(False, {"errorType", "errorMessage"})``."""

    def __init__(self, definition: dict, invoke: Invoke, s3, arn: str):
        self.definition = definition
        self.invoke = invoke
        self.s3 = s3
        self.arn = arn
        self.invocations: list[dict] = []
        self.map_runs: list[dict] = []

    def run(self, data: Any, name: str) -> dict:
        """``{"status": "SUCCEEDED", "output": ...}`` or ``{"status":
        "FAILED", "error", "cause"}``, as DescribeExecution answers."""
        context = {"Execution": {"Name": name, "Id": f"{self.arn.replace(':stateMachine:', ':execution:')}:{name}",
                                 "Input": data}}
        try:
            out = self._states(self.definition, data, context)
            return {"status": "SUCCEEDED", "output": out}
        except StatesError as e:
            return {"status": "FAILED", "error": e.error, "cause": e.cause}

    def _states(self, machine: dict, data: Any, context: dict) -> Any:
        name = machine["StartAt"]
        while True:
            state = machine["States"][name]
            kind = state["Type"]
            extra = set(state) - KNOWN.get(kind, set())
            if kind not in KNOWN or extra:
                raise Unsupported(f"state {name}: {kind} {sorted(extra)}")
            if kind == "Succeed":
                return data
            if kind == "Fail":
                raise StatesError(state.get("Error", "States.Fail"), state.get("Cause", ""))
            if kind == "Choice":
                name = self._choose(state, data)
                continue
            try:
                result = self._task(state, data, context) if kind == "Task" else self._map(state, data, context)
            except StatesError as e:
                handler = next((c for c in state.get("Catch", []) if matches(c["ErrorEquals"], e.error)), None)
                if handler is None:
                    raise
                data = path_set(data, handler.get("ResultPath", "$"), {"Error": e.error, "Cause": e.cause})
                name = handler["Next"]
                continue
            if "ResultSelector" in state:
                result = evaluate(state["ResultSelector"], result, context)
            data = path_set(data, state.get("ResultPath", "$"), result)
            if "OutputPath" in state:
                data = path_get(data, state["OutputPath"])
            if state.get("End"):
                return data
            name = state["Next"]

    def _choose(self, state: dict, data: Any) -> str:
        for c in state["Choices"]:
            if set(c) != {"Variable", "StringEquals", "Next"}:
                raise Unsupported(f"choice {c}")
            try:
                value = path_get(data, c["Variable"])
            except StatesError:
                continue
            if value == c["StringEquals"]:
                return c["Next"]
        if "Default" not in state:
            raise StatesError("States.NoChoiceMatched", "no choice matched")
        return state["Default"]

    def _task(self, state: dict, data: Any, context: dict) -> Any:
        if state["Resource"] != "arn:aws:states:::lambda:invoke":
            raise Unsupported(state["Resource"])
        params = evaluate(state["Parameters"], data, context)
        attempts: dict[int, int] = {}
        while True:
            self.invocations.append(params)
            ok, value = self.invoke(params["FunctionName"], params["Payload"])
            if ok:
                return {"ExecutedVersion": "$LATEST", "Payload": value, "StatusCode": 200}
            if isinstance(value, dict):
                error, cause = value.get("errorType") or "Lambda.Unknown", json.dumps(value)
            else:
                error, cause = "Lambda.Unknown", str(value)
            for i, r in enumerate(state.get("Retry", [])):
                if matches(r["ErrorEquals"], error):
                    attempts[i] = attempts.get(i, 0) + 1
                    if attempts[i] <= r.get("MaxAttempts", 3):
                        break
                    raise StatesError(error, cause)
            else:
                raise StatesError(error, cause)

    def _map(self, state: dict, data: Any, context: dict) -> Any:
        proc = state["ItemProcessor"]
        if proc.get("ProcessorConfig", {}).get("Mode") != "DISTRIBUTED":
            raise Unsupported("only a Distributed Map")
        if proc["ProcessorConfig"].get("ExecutionType") not in ("STANDARD", "EXPRESS"):
            raise StatesError("States.Runtime", "ExecutionType is required in Distributed mode")
        reader = state["ItemReader"]
        if reader["Resource"] != "arn:aws:states:::s3:getObject" or reader["ReaderConfig"] != {"InputType": "JSON"}:
            raise Unsupported(f"ItemReader {reader}")
        where = evaluate(reader["Parameters"], data, context)
        try:
            body = self.s3.get_object(Bucket=where["Bucket"], Key=where["Key"])["Body"].read()
            items = json.loads(body)
        except Exception as e:  # noqa: BLE001 (any failure to read is the documented error)
            raise StatesError("States.ItemReaderFailed", str(e)) from e
        if not isinstance(items, list):
            raise StatesError("States.ItemReaderFailed", "the JSON file does not hold an array")
        if "MaxConcurrencyPath" in state:
            n = path_get(data, state["MaxConcurrencyPath"])
            if not isinstance(n, int) or isinstance(n, bool) or n < 0:
                raise StatesError("States.Runtime", f"MaxConcurrencyPath gave {n!r}, not a non-negative integer")
        run_id = str(uuid.uuid4())
        label = state.get("Label", "Map")
        sm = self.arn.split(":stateMachine:")[1]
        results = {"SUCCEEDED": [], "FAILED": []}
        for index, item in enumerate(items):
            ctx = {**context, "Map": {"Item": {"Value": item, "Index": index}}}
            child_input = evaluate(state["ItemSelector"], data, ctx) if "ItemSelector" in state else item
            child_name = str(uuid.uuid4())
            entry = {
                "ExecutionArn": self.arn.replace(":stateMachine:", ":execution:").replace(
                    f":{sm}", f":{sm}/{label}") + f":{child_name}",
                "Input": json.dumps(child_input), "InputDetails": {"Included": True},
                "Name": child_name, "RedriveCount": 0,
                "StartDate": "2026-12-02T00:00:00.000Z",
                "StateMachineArn": f"{self.arn}/{label}", "StopDate": "2026-12-02T00:00:01.000Z",
            }
            try:
                out = self._states(proc, child_input, {"Execution": {"Name": child_name, "Input": child_input}})
                entry.update({"Status": "SUCCEEDED", "Output": json.dumps(out), "OutputDetails": {"Included": True}})
                results["SUCCEEDED"].append(entry)
            except StatesError as e:
                entry.update({"Status": "FAILED", "Error": e.error, "Cause": e.cause})
                results["FAILED"].append(entry)
        tolerated = state.get("ToleratedFailurePercentage", 0)
        failed_pct = 100.0 * len(results["FAILED"]) / len(items) if items else 0.0
        writer = state.get("ResultWriter")
        if writer is None:
            raise Unsupported("a Distributed Map without a ResultWriter")
        if writer["Resource"] != "arn:aws:states:::s3:putObject":
            raise Unsupported(f"ResultWriter {writer}")
        dest = evaluate(writer["Parameters"], data, context)
        prefix = f"{dest['Prefix'].rstrip('/')}/{run_id}"
        files = {}
        for status, entries in results.items():
            files[status] = []
            if entries:
                key = f"{prefix}/{status}_0.json"
                body = json.dumps(entries).encode()
                self.s3.put_object(Bucket=dest["Bucket"], Key=key, Body=body)
                files[status].append({"Key": key, "Size": len(body)})
        files["PENDING"] = []
        map_run = f"{self.arn.replace(':stateMachine:', ':mapRun:')}/{label}:{run_id}"
        manifest = {"DestinationBucket": dest["Bucket"], "MapRunArn": map_run, "ResultFiles": files}
        self.s3.put_object(Bucket=dest["Bucket"], Key=f"{prefix}/manifest.json", Body=json.dumps(manifest).encode())
        self.map_runs.append({"items": len(items), **{k: len(v) for k, v in results.items()}})
        if failed_pct > tolerated:
            raise StatesError("States.ExceedToleratedFailureThreshold",
                              f"{len(results['FAILED'])} of {len(items)} child executions failed")
        return {"MapRunArn": map_run, "ResultWriterDetails": {"Bucket": dest["Bucket"], "Key": f"{prefix}/manifest.json"}}

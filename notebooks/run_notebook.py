"""Executes a notebook headless (the CI path; `jupyter nbconvert --execute` would do the same).

usage: python3 run_notebook.py <notebook.ipynb> <executed.ipynb> [timeout_s]

Runs in the notebook's own folder (so `import netflow_helpers` works) with this process's
environment (the NB_* parameters), writes the executed notebook with its outputs even when a
cell fails, and prints the notebook's key-numbers JSON line (the output line that starts with
{"key_numbers": ...}) on stdout. Exit status 1 when a cell raised.
"""
import json
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def key_numbers_line(nb):
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") != "stream":
                continue
            for line in output.get("text", "").splitlines():
                if line.startswith('{"key_numbers":'):
                    return line
    return None


def main():
    source, target = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    timeout = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    nb = nbformat.read(source, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(source.parent)}})
    failed = None
    try:
        client.execute()
    except CellExecutionError as e:
        failed = e
    finally:
        nbformat.write(nb, target)
    if failed is not None:
        # Tracebacks carry terminal colours; strip them for logs.
        print(re.sub(r"\x1b\[[0-9;]*m", "", str(failed)), file=sys.stderr)
        sys.exit(1)
    line = key_numbers_line(nb)
    if line is None:
        print("the notebook printed no key_numbers line", file=sys.stderr)
        sys.exit(1)
    json.loads(line)  # fails loudly on a malformed line
    print(line)


main()

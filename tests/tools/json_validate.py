#!/usr/bin/env python3
"""json_validate - checks daneroll --json documents against docs/schema/.

    json_validate.py [--schemas DIR] [--schema NAME] DOC...

Each DOC is checked against DIR/NAME.schema.json (DIR: docs/schema beside
this file's tests/). NAME is --schema, else the command that produced the
document, read from DOC.cmd ("SCRIPT: daneroll COMMAND ARGS...", by
testlib's json_keep). Beyond the schema, every NAME_unix member must have
its NAME beside it, the same instant (or both null): the JSON Schema
language cannot say that.

Prints one line per invalid document, naming the file, the command that
produced it and the first errors (the JSON path and what is wrong); exit
0 when every document is valid, 1 when one is not, 2 when it cannot
check (no jsonschema module, a schema missing or itself invalid).
"""
import argparse
import calendar
import json
import os
import sys
import time


def companions(node, path, errors):
    """NAME_unix beside NAME, the same instant, everywhere in node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("_unix"):
                name = key[:-len("_unix")]
                if name not in node:
                    errors.append("%s: %s without %s" % (path, key, name))
                elif (value is None) != (node[name] is None):
                    errors.append("%s: %s and %s: one null, not both"
                                  % (path, name, key))
                elif value is not None:
                    try:
                        t = calendar.timegm(time.strptime(
                            node[name], "%Y-%m-%dT%H:%M:%SZ"))
                    except (TypeError, ValueError):
                        t = None
                    if t != value:
                        errors.append("%s: %s %r is not %s %r"
                                      % (path, name, node[name], key, value))
            companions(value, "%s.%s" % (path, key), errors)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            companions(value, "%s[%d]" % (path, i), errors)


def explain(e):
    """An error, where it is: inside a oneOf, the error of the branch
    that went deepest (the branch the document meant)."""
    while e.context:
        e = max(e.context, key=lambda c: len(c.absolute_path))
    msg = e.message
    if len(msg) > 200:     # the value quoted whole: keep what is said of it
        msg = msg[:80] + " ... " + msg[-100:]
    return "%s: %s" % (e.json_path, msg)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--schemas",
                    default=os.path.join(here, "..", "..", "docs", "schema"))
    ap.add_argument("--schema")
    ap.add_argument("docs", nargs="+")
    a = ap.parse_args()
    try:
        import jsonschema
    except ImportError:
        print("json_validate: no python3 jsonschema module (Debian: "
              "python3-jsonschema; sh tests/deps.sh test installs it)")
        return 2
    validators = {}
    bad = 0
    for doc in a.docs:
        cmd = "(unknown command)"
        name = a.schema
        if os.path.exists(doc + ".cmd"):
            with open(doc + ".cmd") as f:
                cmd = f.read().strip()
            if name is None:
                words = cmd.split(": ", 1)[-1].split()
                if words[:1] == ["daneroll"]:
                    words = words[1:]
                name = words[0] if words else None
        where = "%s (%s)" % (doc, cmd)
        if name is None:
            print("%s: no schema named" % where)
            bad = 1
            continue
        if name not in validators:
            path = os.path.join(a.schemas, name + ".schema.json")
            try:
                with open(path) as f:
                    schema = json.load(f)
                jsonschema.Draft202012Validator.check_schema(schema)
            except (OSError, ValueError,
                    jsonschema.exceptions.SchemaError) as e:
                print("json_validate: schema %s: %s" % (path, e))
                return 2
            validators[name] = jsonschema.Draft202012Validator(schema)
        try:
            with open(doc) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            print("%s: not a JSON document: %s" % (where, e))
            bad = 1
            continue
        errors = [explain(e) for e in sorted(
            validators[name].iter_errors(data), key=lambda e: e.json_path)]
        companions(data, "$", errors)
        if errors:
            print("%s: against %s.schema.json: %s%s" % (
                where, name, "; ".join(errors[:3]),
                " (and %d more)" % (len(errors) - 3) if len(errors) > 3
                else ""))
            bad = 1
    return bad


if __name__ == "__main__":
    sys.exit(main())

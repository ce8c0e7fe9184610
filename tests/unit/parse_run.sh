#!/bin/sh
# Runs the parser's own suite (tests/parse) through the AST dumper as part of `make test`.
set -e
cd "$(dirname "$0")/../.."
make -s build/parse_dump >/dev/null
sh tests/parse/run.sh build/parse_dump >/tmp/tn-parse-test.$$ 2>&1 || { tail -20 /tmp/tn-parse-test.$$; rm -f /tmp/tn-parse-test.$$; exit 1; }
tail -1 /tmp/tn-parse-test.$$
rm -f /tmp/tn-parse-test.$$

#!/bin/sh
# Turns schema/NNN_*.sql into a C array of migrations, in order, so the
# installed binary carries its own schema. Usage: embed.sh FILE.sql... > out.c
set -eu
echo '/* Generated from the schema directory by schema/embed.sh: do not edit. */'
echo '#include <stddef.h>'
echo 'const char *const store_migrations[] = {'
for f in "$@"; do
	echo "	/* $(basename "$f") */"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/	"/' -e 's/$/\\n"/' "$f"
	echo '	,'
done
echo '	NULL'
echo '};'

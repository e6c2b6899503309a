#!/bin/sh
# Checks that every ovs-appctl command the code registers has an entry in
# the braid-vswitchd man page and appears in at least one test.
#
# Commands are found as the first argument of register_command() or
# register_hidden_command() in lib/, ofproto/ and vswitchd/.

srcdir=${BRAID_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
man=$srcdir/Documentation/braid-vswitchd.8

commands=$(find "$srcdir/lib" "$srcdir/ofproto" "$srcdir/vswitchd" -name '*.cc' \
               -exec cat {} + |
           perl -0777 -ne 'while (/register_(?:hidden_)?command\(\s*"([^"]+)"/g) { print "$1\n" }' |
           sort -u)
if [ -z "$commands" ]; then
    echo "check-commands: found no registered commands (is the source tree at $srcdir?)"
    exit 1
fi

status=0
n=0
for c in $commands; do
    n=$((n + 1))
    if ! grep -Eq "(^\\.B $c( |\$)|\\\\fB$c\\\\fR)" "$man"; then
        echo "check-commands: \"$c\" has no entry in Documentation/braid-vswitchd.8"
        status=1
    fi
    if ! grep -Fq "\"$c\"" "$srcdir"/tests/*.cc "$srcdir"/tests/*.h; then
        echo "check-commands: \"$c\" is not used by any test in tests/"
        status=1
    fi
done
echo "check-commands: checked $n commands"
exit $status

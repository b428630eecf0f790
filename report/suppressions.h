/* Suppressions: findings a team decided to live with (for now), kept out of
 * reports and exit statuses but counted, so nothing disappears silently.
 *
 * The file has one rule per line; blank lines and '#' comments are ignored:
 *   signature 75a98471c12274e7   one finding, by its signature
 *   function legacy_*            any frame of the finding in a matching function
 *   file third_party/zlib/?*      any frame of the finding in a matching source file
 *   lock cache_lock              a lock of the finding with a matching name
 *                                (or description, for an unnamed lock)
 * Patterns are shell globs (fnmatch), and a name written exactly as the
 * report prints it always matches itself (brackets in "accounts[0].lock"
 * are not a glob's character class then); `file` patterns match the whole
 * path or its last component. */
#ifndef LOCKGRAPH_SUPPRESSIONS_H
#define LOCKGRAPH_SUPPRESSIONS_H

#include <stdbool.h>

#include "findings.h"

struct lg_suppressions;

/* Adds the rules in path to *into (created when NULL; several files may be
 * loaded). On a missing file or a bad line, prints an error naming the file
 * (and line) and returns false. */
bool lg_suppressions_load(struct lg_suppressions **into, const char *path);

/* The text of the first rule that suppresses fi ("function legacy_*"), or
 * NULL. */
const char *lg_suppressions_match(const struct lg_suppressions *s, const struct lg_finding *fi);

void lg_suppressions_free(struct lg_suppressions *s);

#endif

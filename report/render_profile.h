/* The lock profile's renderers (render_profile.c), called by the text,
 * JSON and HTML renderers. */
#ifndef LOCKGRAPH_RENDER_PROFILE_H
#define LOCKGRAPH_RENDER_PROFILE_H

#include <stdio.h>

#include "json_out.h"
#include "lock_profile.h"

/* The "Contended locks" table; nothing when there is no profile. */
void lg_render_profile_text(FILE *out, const struct lg_profile *p);

/* The "profile" key and its value (null when there is no profile). */
void lg_render_profile_json(struct lg_json *j, const struct lg_profile *p);

/* The "Contended locks" section; nothing when there is no profile. */
void lg_render_profile_html(FILE *out, const struct lg_profile *p);

#endif

/* Private to the HTML report (render_html.c: the page, its table, stalls
 * and notes; html_finding.c: one finding's section): the pieces both
 * write. All text from traces goes through markup.h. */
#ifndef LOCKGRAPH_HTML_H
#define LOCKGRAPH_HTML_H

#include <stdio.h>

#include "findings.h"

/* The finding's CSS class and colour: actual, potential or latent. */
const char *lg_html_class(const struct lg_finding *fi);
const char *lg_html_colour(const struct lg_finding *fi);

/* A stack as an ordered list of frames, innermost first, without the
 * thread entry frames; a placeholder when none was recorded. */
void lg_html_stack(FILE *out, const struct lg_fstack *s);

/* "function (file:line)" for the frame a stack is cited by. */
void lg_html_at(FILE *out, const struct lg_fstack *s);

/* <code>description</code> of lock i. */
void lg_html_lock(FILE *out, const struct lg_finding *fi, size_t i);

/* "T1 'worker'" (escaped). */
void lg_html_thread(FILE *out, const struct lg_fthread *t);

/* The section for finding number `rank` (id "finding-RANK"). */
void lg_html_finding(FILE *out, const struct lg_finding *fi, size_t rank);

#endif

/* What the renderers share (render_text.c for the frames it shows, and
 * render_csv.c, render_sarif.c, render_dot.c, render_html.c, svg_graph.c): kind names,
 * times, which frames are worth citing, how a thread is named, and UTF-8
 * checking for formats that must never carry invalid bytes. Everything here
 * is a pure function of the findings, so the formats stay deterministic. */
#ifndef LOCKGRAPH_RENDER_UTIL_H
#define LOCKGRAPH_RENDER_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "findings.h"
#include "strbuf.h"

/* The finding's kind in one token, as the CSV and the tables say it:
 * "actual-deadlock", "potential-deadlock" or "latent". */
const char *lg_render_kind(const struct lg_finding *fi);

/* The kind as a heading says it: "deadlock", "deadlock broken by a
 * timeout", "potential deadlock", "latent lock-order inversion". */
const char *lg_render_kind_title(const struct lg_finding *fi);

/* wall_ns (CLOCK_REALTIME) as ISO 8601 UTC with milliseconds,
 * "2026-11-01T09:30:12.345Z", into buf (at least 32 bytes); "" for 0
 * (no time recorded). Returns buf. */
char *lg_render_time(char *buf, size_t size, uint64_t wall_ns);

/* How many of s's frames to show: all but the thread and process entry
 * frames at its end (start_thread, __libc_start_main, ...), which say
 * nothing about the program; at least one when s has any. */
size_t lg_render_frames(const struct lg_fstack *s);

/* "T1 'worker'" / "T1 (main thread)" / "T1", appended to b. */
void lg_render_thread(struct lg_strbuf *b, const struct lg_fthread *t);

/* The last edge's acquisition: where the order was reversed, the place a
 * finding is cited by. */
const struct lg_frame *lg_render_where(const struct lg_finding *fi);

/* Length of the valid UTF-8 sequence at p (1 for ASCII), 0 when p does
 * not start one. Paths and thread names are bytes; the formats are UTF-8. */
int lg_utf8_length(const unsigned char *p);

#endif

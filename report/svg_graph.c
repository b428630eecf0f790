/* See svg_graph.h. The layout is fixed arithmetic, no search: lock i sits
 * at angle 2πi/n on a circle big enough that neighbours do not touch; an
 * edge is a quadratic curve bowed away from the centre (for two locks, to
 * its own side, so A→B and B→A do not overlap), its label beside the
 * curve's middle. A thread re-locking its own mutex is a loop above the
 * node. Widths are estimated from character counts in a monospace font,
 * so no font metrics are needed and the output is the same everywhere.
 * The few trigonometric values are computed here, so the reporter does not
 * need libm. */
#include "svg_graph.h"

#include <stdbool.h>
#include <stdlib.h>

#include "error.h"
#include "markup.h"
#include "render_util.h"
#include "strbuf.h"

#define PI         3.14159265358979323846
#define FONT_PX    12.0
#define CHAR_PX    7.3 /* advance of a 12 px monospace character */
#define NODE_H     38.0
#define LABEL_LINE 14.0
#define MARGIN     12.0

struct point {
	double x, y;
};

struct node {
	struct point c;
	double w;
};

struct arrow {
	struct point from, ctrl, to, label;
	const char *anchor; /* text-anchor of the label */
	double label_w;
	bool drawn; /* false for an edge whose locks are not the cycle's */
};

static double root(double x)
{
	if (x <= 0)
		return 0;
	double r = x > 1 ? x : 1;
	for (int i = 0; i < 60; i++)
		r = 0.5 * (r + x / r);
	return r;
}

/* Taylor series; a is reduced to [-π, π] first, where 30 terms are exact
 * to double precision. */
static struct point unit(double a)
{
	while (a > PI)
		a -= 2 * PI;
	while (a < -PI)
		a += 2 * PI;
	double s = 0, c = 0, term_s = a, term_c = 1;
	for (int k = 0; k < 30; k++) {
		s += term_s;
		c += term_c;
		term_s *= -a * a / ((2 * k + 2) * (2 * k + 3));
		term_c *= -a * a / ((2 * k + 1) * (2 * k + 2));
	}
	return (struct point){c, s};
}

static double text_width(const char *s)
{
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
		chars += (*p & 0xc0) != 0x80;
	return (double)chars * CHAR_PX;
}

/* Where the line from node n's centre towards q leaves its box. */
static struct point boundary(const struct node *n, struct point q)
{
	double dx = q.x - n->c.x, dy = q.y - n->c.y;
	double tx = dx != 0 ? (n->w / 2) / (dx < 0 ? -dx : dx) : 1e9;
	double ty = dy != 0 ? (NODE_H / 2) / (dy < 0 ? -dy : dy) : 1e9;
	double t = tx < ty ? tx : ty;
	if (t > 1)
		t = 1;
	return (struct point){n->c.x + dx * t, n->c.y + dy * t};
}

static void edge_label(struct lg_strbuf *who, struct lg_strbuf *where, const struct lg_finding *fi,
                       const struct lg_fedge *e)
{
	lg_render_thread(who, &fi->threads[e->thread]);
	const struct lg_frame *fr = lg_fstack_top(&e->acquire);
	lg_strbuf_puts(where, fr && fr->function ? fr->function : "??");
	if (fr && fr->line)
		lg_strbuf_printf(where, ":%d", fr->line);
}

static void place_nodes(const struct lg_finding *fi, struct node *nodes, size_t n)
{
	double widest = 0;
	for (size_t i = 0; i < n; i++) {
		double w = text_width(fi->locks[i].description);
		double k = text_width(fi->locks[i].kind);
		nodes[i].w = (w > k ? w : k) + 24;
		if (nodes[i].w > widest)
			widest = nodes[i].w;
	}
	/* Two locks side by side with room for labels between; more on a
	 * circle whose chord between neighbours clears the widest node. */
	double r = n == 2 ? widest / 2 + 70 : n > 2 ? (widest + 70) / (2 * unit(PI / n).y) : 0;
	if (n > 2 && r < 110)
		r = 110;
	for (size_t i = 0; i < n; i++) {
		/* Two: left and right. More: clockwise from the top. */
		double a = n == 2 ? PI * (double)(1 + i) : -PI / 2 + 2 * PI * (double)i / (double)n;
		struct point u = unit(a);
		nodes[i].c = (struct point){r * u.x, r * u.y};
	}
}

static void place_arrow(const struct node *nodes, size_t n, const struct lg_fedge *e,
                        struct arrow *a)
{
	if (e->from >= n || e->to >= n)
		return;
	a->drawn = true;
	const struct node *from = &nodes[e->from], *to = &nodes[e->to];
	if (e->from == e->to) { /* a loop over the top of the node */
		double top = from->c.y - NODE_H / 2;
		a->from = (struct point){from->c.x - 14, top};
		a->to = (struct point){from->c.x + 14, top};
		a->ctrl = (struct point){from->c.x, top - 70};
		a->label = (struct point){from->c.x, top - 48 - 2 * LABEL_LINE};
		a->anchor = "middle";
		return;
	}
	struct point m = {(from->c.x + to->c.x) / 2, (from->c.y + to->c.y) / 2};
	double dx = to->c.x - from->c.x, dy = to->c.y - from->c.y;
	double len = root(dx * dx + dy * dy);
	struct point u;
	if (n == 2) {
		/* Perpendicular, to the left of the direction of travel: the
		 * two opposite edges bow to opposite sides. */
		u = (struct point){dy / len, -dx / len};
	} else {
		double ml = root(m.x * m.x + m.y * m.y);
		u = ml > 0 ? (struct point){m.x / ml, m.y / ml} : (struct point){0, -1};
	}
	double bend = len * (n == 2 ? 0.28 : 0.18);
	a->ctrl = (struct point){m.x + u.x * bend, m.y + u.y * bend};
	a->from = boundary(from, a->ctrl);
	a->to = boundary(to, a->ctrl);
	/* The curve's middle, then a little further out for the label. */
	struct point mid = {0.25 * a->from.x + 0.5 * a->ctrl.x + 0.25 * a->to.x,
	                    0.25 * a->from.y + 0.5 * a->ctrl.y + 0.25 * a->to.y};
	a->anchor = u.x > 0.35 ? "start" : u.x < -0.35 ? "end" : "middle";
	double below = u.y > 0.35    ? LABEL_LINE
	               : u.y < -0.35 ? -2 * LABEL_LINE + 4
	                             : -LABEL_LINE / 2;
	a->label = (struct point){mid.x + u.x * 8, mid.y + u.y * 6 + below + 4};
}

struct box {
	double x0, y0, x1, y1;
};

static void grow(struct box *b, double x0, double y0, double x1, double y1)
{
	if (x0 < b->x0)
		b->x0 = x0;
	if (y0 < b->y0)
		b->y0 = y0;
	if (x1 > b->x1)
		b->x1 = x1;
	if (y1 > b->y1)
		b->y1 = y1;
}

static void label_box(struct box *b, const struct arrow *a)
{
	double x0 = a->label.x, w = a->label_w;
	if (a->anchor[0] == 'm')
		x0 -= w / 2;
	else if (a->anchor[0] == 'e')
		x0 -= w;
	grow(b, x0, a->label.y - LABEL_LINE, x0 + w, a->label.y + LABEL_LINE + 4);
}

static void draw_arrow(FILE *out, const struct arrow *a, const char *id, const char *colour,
                       const char *who, const char *where)
{
	fprintf(out,
	        "<g class=\"order\"><path d=\"M%.1f %.1f Q%.1f %.1f %.1f %.1f\" fill=\"none\" "
	        "stroke=\"%s\" stroke-width=\"1.6\" marker-end=\"url(#%s-arrow)\"/>",
	        a->from.x, a->from.y, a->ctrl.x, a->ctrl.y, a->to.x, a->to.y, colour, id);
	fprintf(out,
	        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"11\" "
	        "fill=\"#333333\"><tspan>",
	        a->label.x, a->label.y, a->anchor);
	lg_markup_text(out, who);
	fprintf(out, "</tspan><tspan x=\"%.1f\" dy=\"%.0f\">", a->label.x, LABEL_LINE);
	lg_markup_text(out, where);
	fputs("</tspan></text></g>\n", out);
}

static void draw_node(FILE *out, const struct node *n, const struct lg_flock *l, const char *colour)
{
	fprintf(out,
	        "<g class=\"lock\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
	        "rx=\"8\" fill=\"#ffffff\" stroke=\"%s\" stroke-width=\"1.6\"/>",
	        n->c.x - n->w / 2, n->c.y - NODE_H / 2, n->w, NODE_H, colour);
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"%.0f\">",
	        n->c.x, n->c.y - 2, FONT_PX);
	lg_markup_text(out, l->description);
	fprintf(out,
	        "</text><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\" "
	        "fill=\"#666666\">",
	        n->c.x, n->c.y + 12);
	lg_markup_text(out, l->kind);
	fputs("</text></g>\n", out);
}

void lg_svg_cycle(FILE *out, const struct lg_finding *fi, const char *id, const char *colour)
{
	size_t n = fi->ncycle_locks, ne = fi->nedges;
	struct node *nodes = lg_xcalloc(n ? n : 1, sizeof(*nodes));
	struct arrow *arrows = lg_xcalloc(ne ? ne : 1, sizeof(*arrows));
	struct lg_strbuf *who = lg_xcalloc(ne ? ne : 1, sizeof(*who));
	struct lg_strbuf *where = lg_xcalloc(ne ? ne : 1, sizeof(*where));
	place_nodes(fi, nodes, n);
	struct box b = {1e9, 1e9, -1e9, -1e9};
	for (size_t i = 0; i < n; i++)
		grow(&b, nodes[i].c.x - nodes[i].w / 2, nodes[i].c.y - NODE_H / 2,
		     nodes[i].c.x + nodes[i].w / 2, nodes[i].c.y + NODE_H / 2);
	for (size_t i = 0; i < ne; i++) {
		edge_label(&who[i], &where[i], fi, &fi->edges[i]);
		place_arrow(nodes, n, &fi->edges[i], &arrows[i]);
		if (!arrows[i].drawn)
			continue;
		double w1 = text_width(lg_strbuf_str(&who[i])),
		       w2 = text_width(lg_strbuf_str(&where[i]));
		arrows[i].label_w = (w1 > w2 ? w1 : w2) * 11 / FONT_PX;
		label_box(&b, &arrows[i]);
		grow(&b, arrows[i].ctrl.x, arrows[i].ctrl.y, arrows[i].ctrl.x, arrows[i].ctrl.y);
	}
	if (n == 0)
		b = (struct box){0, 0, 0, 0};
	double x = b.x0 - MARGIN, y = b.y0 - MARGIN;
	double w = b.x1 - b.x0 + 2 * MARGIN, h = b.y1 - b.y0 + 2 * MARGIN;
	fprintf(out,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"cycle\" role=\"img\" "
	        "aria-labelledby=\"%s-title\" viewBox=\"%.1f %.1f %.1f %.1f\" width=\"%.0f\" "
	        "height=\"%.0f\" font-family=\"ui-monospace, Menlo, Consolas, monospace\">\n",
	        id, x, y, w, h, w, h);
	fprintf(out, "<title id=\"%s-title\">", id);
	for (size_t i = 0; i < n; i++) {
		lg_markup_text(out, fi->locks[i].description);
		fputs(" → ", out);
	}
	lg_markup_text(out, n ? fi->locks[0].description : "");
	fprintf(out,
	        "</title>\n<defs><marker id=\"%s-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" "
	        "refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">"
	        "<path d=\"M0 0L10 5L0 10z\" fill=\"%s\"/></marker></defs>\n",
	        id, colour);
	for (size_t i = 0; i < ne; i++)
		if (arrows[i].drawn)
			draw_arrow(out, &arrows[i], id, colour, lg_strbuf_str(&who[i]),
			           lg_strbuf_str(&where[i]));
	for (size_t i = 0; i < n; i++)
		draw_node(out, &nodes[i], &fi->locks[i], colour);
	fputs("</svg>\n", out);
	for (size_t i = 0; i < ne; i++) {
		lg_strbuf_free(&who[i]);
		lg_strbuf_free(&where[i]);
	}
	free(who);
	free(where);
	free(arrows);
	free(nodes);
}

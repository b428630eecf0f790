/* The Graphviz reports. dot: one digraph, one cluster per finding (its
 * rank, kind and signature), nodes are the cycle's locks, edges the lock
 * orders with the thread and the line that took them; actual deadlocks
 * red, potential orange, latent grey. svg: the same graph laid out by
 * Graphviz's own `dot -Tsvg`, run as a child process; lockgraph does no
 * layout of its own here (render_html.c draws its small pictures itself). */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "render.h"
#include "render_util.h"

static const char *color(const struct lg_finding *fi)
{
	if (fi->kind == LG_FINDING_ACTUAL)
		return "#d62728";
	return fi->latent ? "#7f7f7f" : "#ff7f0e";
}

/* s inside a DOT double-quoted string: quotes and backslashes escaped
 * (a backslash starts \n, \l, \N... in labels), control characters and
 * invalid UTF-8 replaced, so any name gives a graph dot accepts. */
static void quoted(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		int n = lg_utf8_length(p);
		if (*p == '"' || *p == '\\') {
			fputc('\\', out);
			fputc(*p, out);
		} else if (n == 0 || *p < 0x20 || *p == 0x7f) {
			fputs(n == 0 ? "\xef\xbf\xbd" : " ", out);
		} else {
			fwrite(p, 1, (size_t)n, out);
			p += n - 1;
		}
	}
}

/* "T1 'worker'\nmove:104": who took the lock, and where. */
static void edge_label(FILE *out, const struct lg_finding *fi, const struct lg_fedge *e)
{
	struct lg_strbuf b = {0};
	lg_render_thread(&b, &fi->threads[e->thread]);
	quoted(out, lg_strbuf_str(&b));
	const struct lg_frame *fr = lg_fstack_top(&e->acquire);
	fputs("\\n", out);
	quoted(out, fr && fr->function ? fr->function : "??");
	if (fr && fr->line)
		fprintf(out, ":%d", fr->line);
	lg_strbuf_free(&b);
}

static void cluster(FILE *out, const struct lg_finding *fi, size_t rank)
{
	const char *c = color(fi);
	fprintf(out, "\tsubgraph cluster_%zu {\n\t\tlabel=\"#%zu %s", rank, rank,
	        lg_render_kind_title(fi));
	if (fi->latent)
		fprintf(out, " (%s)",
		        fi->latent_reason == LG_LATENT_NO_OVERLAP ? "threads never overlapped"
		                                                  : "seen in one thread only");
	fprintf(out, ", %zu time%s\\nsignature %s\";\n", fi->occurrences,
	        fi->occurrences == 1 ? "" : "s", fi->signature);
	fprintf(out, "\t\tcolor=\"%s\"; fontcolor=\"%s\"; style=rounded;\n", c, c);
	for (size_t i = 0; i < fi->ncycle_locks; i++) {
		const struct lg_flock *l = &fi->locks[i];
		fprintf(out, "\t\tf%zu_%s [label=\"", rank, l->label);
		quoted(out, l->description);
		fputs("\\n", out);
		quoted(out, l->kind);
		fprintf(out, "\", color=\"%s\"];\n", c);
	}
	for (size_t i = 0; i < fi->nedges; i++) {
		const struct lg_fedge *e = &fi->edges[i];
		fprintf(out, "\t\tf%zu_%s -> f%zu_%s [label=\"", rank, fi->locks[e->from].label,
		        rank, fi->locks[e->to].label);
		edge_label(out, fi, e);
		fprintf(out, "\", color=\"%s\", fontcolor=\"%s\"];\n", c, c);
	}
	fputs("\t}\n", out);
}

void lg_render_dot(FILE *out, const struct lg_findings *f)
{
	fputs("digraph lockgraph {\n", out);
	fprintf(out,
	        "\tgraph [label=\"lockgraph: %zu finding%s in %zu trace%s\", labelloc=t, "
	        "fontname=\"Helvetica\"];\n",
	        f->n, f->n == 1 ? "" : "s", f->traces, f->traces == 1 ? "" : "s");
	fputs("\tnode [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", "
	      "fontname=\"Helvetica\", fontsize=11];\n"
	      "\tedge [fontname=\"Helvetica\", fontsize=9];\n",
	      out);
	for (size_t i = 0; i < f->n; i++)
		cluster(out, f->v[i], i + 1);
	fputs("}\n", out);
}

bool lg_render_svg_available(char *path, size_t size)
{
	const char *dirs = getenv("PATH");
	for (const char *p = dirs ? dirs : "/usr/bin:/bin"; *p;) {
		size_t len = strcspn(p, ":");
		/* An empty PATH entry means the current directory. */
		int n = snprintf(path, size, "%.*s%sdot", (int)len, p, len ? "/" : "");
		struct stat st;
		if (n > 0 && (size_t)n < size && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(path, X_OK) == 0)
			return true;
		p += len + (p[len] == ':');
	}
	return false;
}

int lg_render_svg(FILE *out, const struct lg_findings *f)
{
	char dot[PATH_MAX];
	if (!lg_render_svg_available(dot, sizeof(dot)))
		return lg_error("--format svg needs Graphviz's 'dot' (apt-get install graphviz)");
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return lg_error("cannot run '%s': %s", dot, strerror(errno));
	fflush(out);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return lg_error("cannot run '%s': %s", dot, strerror(errno));
	}
	if (pid == 0) {
		/* dup2 clears close-on-exec on the copies only. */
		if (dup2(fds[0], 0) < 0 || dup2(fileno(out), 1) < 0)
			_exit(127);
		execl(dot, "dot", "-Tsvg", (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	/* If dot dies early, a write to its pipe must fail, not kill us. */
	struct sigaction ignore = {.sa_handler = SIG_IGN}, old;
	sigaction(SIGPIPE, &ignore, &old);
	FILE *to_dot = fdopen(fds[1], "w");
	if (to_dot) {
		lg_render_dot(to_dot, f);
		fclose(to_dot);
	} else {
		close(fds[1]);
	}
	sigaction(SIGPIPE, &old, NULL);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return lg_error("cannot run '%s': %s", dot, strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return lg_error("'%s -Tsvg' failed (%s %d); run with --format dot to see its input",
		                dot, WIFEXITED(status) ? "exit status" : "signal",
		                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return 0;
}

/* See source_lines.h. */
#include "source_lines.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define MAX_LINE 160
#define MAX_FILE (16u << 20) /* bigger "source files" are not read */

struct file {
	char *path;
	char *text; /* NULL: could not be read */
	size_t len;
	char **lines; /* start of each line in text */
	size_t nlines;
};

struct lg_source_lines {
	struct file *files;
	size_t n, cap;
	char buf[MAX_LINE + 1];
};

struct lg_source_lines *lg_source_lines_new(void)
{
	return lg_xcalloc(1, sizeof(struct lg_source_lines));
}

void lg_source_lines_free(struct lg_source_lines *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->files[i].path);
		free(s->files[i].text);
		free(s->files[i].lines);
	}
	free(s->files);
	free(s);
}

static void load(struct file *f)
{
	FILE *in = fopen(f->path, "rb");
	if (!in)
		return;
	size_t cap = 0;
	for (;;) {
		lg_grow(&f->text, &cap, f->len + 65536, 1);
		size_t got = fread(f->text + f->len, 1, cap - f->len - 1, in);
		f->len += got;
		if (got == 0 || f->len > MAX_FILE)
			break;
	}
	fclose(in);
	if (f->len > MAX_FILE) {
		free(f->text);
		f->text = NULL;
		return;
	}
	f->text[f->len] = 0;
	size_t lines_cap = 0;
	for (char *p = f->text; p < f->text + f->len;) {
		lg_grow(&f->lines, &lines_cap, f->nlines, sizeof(*f->lines));
		f->lines[f->nlines++] = p;
		char *nl = memchr(p, '\n', (size_t)(f->text + f->len - p));
		if (!nl)
			break;
		*nl = 0;
		p = nl + 1;
	}
}

static struct file *file_of(struct lg_source_lines *s, const char *path)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->files[i].path, path) == 0)
			return &s->files[i];
	lg_grow(&s->files, &s->cap, s->n, sizeof(*s->files));
	struct file *f = &s->files[s->n++];
	*f = (struct file){.path = lg_xstrdup(path)};
	load(f);
	return f;
}

const char *lg_source_line(struct lg_source_lines *s, const char *path, int line)
{
	if (!path || line < 1)
		return NULL;
	struct file *f = file_of(s, path);
	if (!f->text || (size_t)line > f->nlines)
		return NULL;
	const char *text = f->lines[line - 1];
	while (isspace((unsigned char)*text))
		text++;
	snprintf(s->buf, sizeof(s->buf), "%s", text);
	size_t len = strlen(s->buf);
	while (len && isspace((unsigned char)s->buf[len - 1]))
		s->buf[--len] = 0;
	for (char *p = s->buf; *p; p++) /* tabs and controls would break the layout */
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	return s->buf;
}

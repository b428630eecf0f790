/* See suppressions.h. */
#include "suppressions.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

enum rule_kind {
	RULE_SIGNATURE,
	RULE_FUNCTION,
	RULE_FILE,
	RULE_LOCK,
};

static const char *const rule_names[] = {"signature", "function", "file", "lock"};

struct rule {
	enum rule_kind kind;
	char *pattern;
	char *text; /* "kind pattern", as the report shows it */
};

struct lg_suppressions {
	struct rule *rules;
	size_t n, cap;
};

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = 0;
	return s;
}

/* Parses one line into s; false (error printed) when it is not a rule. */
static bool parse_line(struct lg_suppressions *s, char *line, const char *path, int lineno)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = 0;
	line = trim(line);
	if (!*line)
		return true;
	size_t klen = strcspn(line, " \t");
	char *pattern = trim(line + klen);
	line[klen] = 0;
	for (size_t k = 0; k < sizeof(rule_names) / sizeof(rule_names[0]); k++) {
		if (strcmp(line, rule_names[k]) != 0)
			continue;
		if (!*pattern || strpbrk(pattern, " \t")) {
			lg_error("suppressions '%s' line %d: '%s' needs one pattern", path, lineno,
			         line);
			return false;
		}
		lg_grow(&s->rules, &s->cap, s->n, sizeof(*s->rules));
		struct rule *r = &s->rules[s->n++];
		r->kind = (enum rule_kind)k;
		r->pattern = lg_xstrdup(pattern);
		r->text = lg_xmalloc(strlen(line) + strlen(pattern) + 2);
		sprintf(r->text, "%s %s", line, pattern);
		return true;
	}
	lg_error("suppressions '%s' line %d: unknown rule '%s' (expected signature, function, "
	         "file or lock)",
	         path, lineno, line);
	return false;
}

bool lg_suppressions_load(struct lg_suppressions **into, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		lg_error("cannot read suppressions '%s': %s", path, strerror(errno));
		return false;
	}
	if (!*into)
		*into = lg_xcalloc(1, sizeof(**into));
	char line[4096];
	int lineno = 0;
	bool ok = true;
	while (ok && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			lg_error("suppressions '%s' line %d: longer than %zu characters", path,
			         lineno, sizeof(line) - 2);
			ok = false;
			break;
		}
		ok = parse_line(*into, line, path, lineno);
	}
	if (ok && ferror(f)) {
		lg_error("cannot read suppressions '%s': %s", path, strerror(errno));
		ok = false;
	}
	fclose(f);
	return ok;
}

/* A name as the report prints it matches itself, brackets and all
 * ("accounts[0].lock", "f[abi:cxx11]"); anything else is a shell glob. */
static bool matches(const char *pattern, const char *name)
{
	return strcmp(pattern, name) == 0 || fnmatch(pattern, name, 0) == 0;
}

static bool file_matches(const char *pattern, const char *file)
{
	const char *slash = strrchr(file, '/');
	return matches(pattern, file) || (slash && matches(pattern, slash + 1));
}

static bool stack_matches(const struct rule *r, const struct lg_fstack *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct lg_frame *fr = &s->frames[i];
		if (r->kind == RULE_FUNCTION && fr->function && matches(r->pattern, fr->function))
			return true;
		if (r->kind == RULE_FILE && fr->file && file_matches(r->pattern, fr->file))
			return true;
	}
	return false;
}

static bool rule_matches(const struct rule *r, const struct lg_finding *fi)
{
	switch (r->kind) {
	case RULE_SIGNATURE:
		return strcmp(r->pattern, fi->signature) == 0;
	case RULE_LOCK:
		for (size_t i = 0; i < fi->nlocks; i++) {
			const struct lg_flock *l = &fi->locks[i];
			if ((l->name && matches(r->pattern, l->name)) ||
			    matches(r->pattern, l->description))
				return true;
		}
		return false;
	case RULE_FUNCTION:
	case RULE_FILE:
		break;
	}
	for (size_t i = 0; i < fi->nedges; i++)
		if (stack_matches(r, &fi->edges[i].acquire) || stack_matches(r, &fi->edges[i].held))
			return true;
	for (size_t i = 0; i < fi->nthreads; i++)
		if (stack_matches(r, &fi->threads[i].wait_stack))
			return true;
	return false;
}

const char *lg_suppressions_match(const struct lg_suppressions *s, const struct lg_finding *fi)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (rule_matches(&s->rules[i], fi))
			return s->rules[i].text;
	return NULL;
}

void lg_suppressions_free(struct lg_suppressions *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->rules[i].pattern);
		free(s->rules[i].text);
	}
	free(s->rules);
	free(s);
}

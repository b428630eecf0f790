/* See baseline.h. json-c parses the report: a JSON reader is not worth
 * writing again when Debian has a well-kept one. */
#include "baseline.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct lg_baseline {
	char **signatures;
	size_t n, cap;
};

/* The "signature" of every object in array; with only_why, only of those
 * whose "why" says so. */
static void add_signatures(struct lg_baseline *b, json_object *array, const char *only_why)
{
	size_t n = json_object_array_length(array);
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(array, i), *sig, *why;
		if (only_why && (!json_object_object_get_ex(item, "why", &why) ||
		                 !json_object_is_type(why, json_type_string) ||
		                 strcmp(json_object_get_string(why), only_why) != 0))
			continue;
		if (json_object_object_get_ex(item, "signature", &sig) &&
		    json_object_is_type(sig, json_type_string)) {
			lg_grow(&b->signatures, &b->cap, b->n, sizeof(*b->signatures));
			b->signatures[b->n++] = lg_xstrdup(json_object_get_string(sig));
		}
	}
}

struct lg_baseline *lg_baseline_load(const char *path)
{
	FILE *probe = fopen(path, "r");
	if (!probe) {
		lg_error("cannot read baseline '%s': %s", path, strerror(errno));
		return NULL;
	}
	fclose(probe);
	json_object *root = json_object_from_file(path);
	if (!root) {
		/* json-c's message names its own function and ends in a newline. */
		const char *why = json_util_get_last_err();
		const char *colon = why ? strrchr(why, ':') : NULL;
		why = colon ? colon + 1 : why ? why : "unreadable";
		while (*why == ' ')
			why++;
		lg_error("cannot use baseline '%s': not JSON (%.*s)", path, (int)strcspn(why, "\n"),
		         why);
		return NULL;
	}
	json_object *findings, *version;
	if (!json_object_object_get_ex(root, "version", &version) ||
	    json_object_get_int(version) != 1 ||
	    !json_object_object_get_ex(root, "findings", &findings) ||
	    !json_object_is_type(findings, json_type_array)) {
		json_object_put(root);
		lg_error("cannot use baseline '%s': not a lockgraph JSON report (version 1, with "
		         "findings)",
		         path);
		return NULL;
	}
	struct lg_baseline *b = lg_xcalloc(1, sizeof(*b));
	add_signatures(b, findings, NULL);
	/* A report made with a baseline lists the findings that baseline
	 * already had under summary.left_out: still known, so still in this
	 * one (suppressed ones are the suppressions' business). */
	json_object *summary, *left_out;
	if (json_object_object_get_ex(root, "summary", &summary) &&
	    json_object_object_get_ex(summary, "left_out", &left_out) &&
	    json_object_is_type(left_out, json_type_array))
		add_signatures(b, left_out, "baseline");
	json_object_put(root);
	return b;
}

bool lg_baseline_has(const struct lg_baseline *b, const char *signature)
{
	for (size_t i = 0; b && i < b->n; i++)
		if (strcmp(b->signatures[i], signature) == 0)
			return true;
	return false;
}

void lg_baseline_free(struct lg_baseline *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->signatures[i]);
	free(b->signatures);
	free(b);
}

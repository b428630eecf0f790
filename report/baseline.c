/* See baseline.h. json-c parses the report: a JSON reader is not worth
 * writing again when Debian has a well-kept one. */
#include "baseline.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

struct lg_baseline {
	char **signatures;
	size_t n, cap;
};

struct lg_baseline *lg_baseline_load(const char *path)
{
	json_object *root = json_object_from_file(path);
	if (!root) {
		lg_error("cannot use baseline '%s': %s", path,
		         errno ? strerror(errno) : json_util_get_last_err());
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
	size_t n = json_object_array_length(findings);
	for (size_t i = 0; i < n; i++) {
		json_object *sig;
		if (json_object_object_get_ex(json_object_array_get_idx(findings, i), "signature",
		                              &sig) &&
		    json_object_is_type(sig, json_type_string)) {
			lg_grow(&b->signatures, &b->cap, b->n, sizeof(*b->signatures));
			b->signatures[b->n++] = lg_xstrdup(json_object_get_string(sig));
		}
	}
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

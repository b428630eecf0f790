/* A small streaming JSON writer: objects, arrays, strings (escaped per
 * RFC 8259), integers, booleans and null, pretty-printed two spaces per
 * level. The writer tracks commas; callers only say what comes next. */
#ifndef LOCKGRAPH_JSON_OUT_H
#define LOCKGRAPH_JSON_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct lg_json {
	FILE *out;
	int depth;
	bool need_comma[64];
	bool after_key;
};

void lg_json_init(struct lg_json *j, FILE *out);
void lg_json_object_begin(struct lg_json *j);
void lg_json_object_end(struct lg_json *j);
void lg_json_array_begin(struct lg_json *j);
void lg_json_array_end(struct lg_json *j);
void lg_json_key(struct lg_json *j, const char *key);
void lg_json_string(struct lg_json *j, const char *s); /* NULL writes null */
void lg_json_int(struct lg_json *j, long long v);
void lg_json_bool(struct lg_json *j, bool v);
void lg_json_null(struct lg_json *j);
/* "0x1234", the form JSON consumers of lockgraph expect for addresses. */
void lg_json_hex(struct lg_json *j, uint64_t v);

#endif

/* See json_out.h. */
#include "json_out.h"

void lg_json_init(struct lg_json *j, FILE *out)
{
	*j = (struct lg_json){.out = out};
}

static void indent(struct lg_json *j)
{
	fputc('\n', j->out);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->out);
}

/* Before any value: a comma and a new line unless it follows a key. */
static void value_start(struct lg_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (j->need_comma[j->depth])
			fputc(',', j->out);
		indent(j);
	}
	j->need_comma[j->depth] = true;
}

static void container_begin(struct lg_json *j, char c)
{
	value_start(j);
	fputc(c, j->out);
	if (j->depth < 63)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void container_end(struct lg_json *j, char c)
{
	bool empty = !j->need_comma[j->depth];
	j->depth--;
	if (!empty)
		indent(j);
	fputc(c, j->out);
	if (j->depth == 0)
		fputc('\n', j->out);
}

void lg_json_object_begin(struct lg_json *j)
{
	container_begin(j, '{');
}

void lg_json_object_end(struct lg_json *j)
{
	container_end(j, '}');
}

void lg_json_array_begin(struct lg_json *j)
{
	container_begin(j, '[');
}

void lg_json_array_end(struct lg_json *j)
{
	container_end(j, ']');
}

/* Length of the valid UTF-8 sequence at p, 0 if it is not one. */
static int utf8_length(const unsigned char *p)
{
	int n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
	if (p[0] >= 0xf8)
		return 0;
	for (int i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*p < 0x20) {
				fprintf(out, "\\u%04x", *p);
			} else if (*p < 0x80) {
				fputc(*p, out);
			} else {
				/* Paths and thread names are bytes, JSON is UTF-8:
				 * replace what is not valid UTF-8. */
				int n = utf8_length(p);
				if (n == 0) {
					fputs("\\ufffd", out);
					continue;
				}
				fwrite(p, 1, (size_t)n, out);
				p += n - 1;
			}
		}
	}
	fputc('"', out);
}

void lg_json_key(struct lg_json *j, const char *key)
{
	value_start(j);
	put_string(j->out, key);
	fputs(": ", j->out);
	j->after_key = true;
}

void lg_json_string(struct lg_json *j, const char *s)
{
	if (!s) {
		lg_json_null(j);
		return;
	}
	value_start(j);
	put_string(j->out, s);
}

void lg_json_int(struct lg_json *j, long long v)
{
	value_start(j);
	fprintf(j->out, "%lld", v);
}

void lg_json_bool(struct lg_json *j, bool v)
{
	value_start(j);
	fputs(v ? "true" : "false", j->out);
}

void lg_json_null(struct lg_json *j)
{
	value_start(j);
	fputs("null", j->out);
}

void lg_json_hex(struct lg_json *j, uint64_t v)
{
	value_start(j);
	fprintf(j->out, "\"0x%llx\"", (unsigned long long)v);
}

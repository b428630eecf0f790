/* A threaded workload over the real libsqlite3 (Debian's, serialized mode):
 * `sqlite_threads DBFILE ROWS` has two threads share one connection opened
 * with SQLITE_OPEN_FULLMUTEX (sqlite's connection mutex serializes them) and
 * two threads with a connection each to the same WAL database (transactions,
 * busy waits), all inserting their own rows and reading them back;
 * then prints a summary of the table that depends only on what was inserted,
 * so every run prints the same line. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *path;
static int rows;
static sqlite3 *shared;

static void die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "sqlite_threads: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
	exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "sqlite_threads: %s: %s\n", sql, err);
		exit(1);
	}
}

static sqlite3 *open_db(void)
{
	sqlite3 *db;
	if (sqlite3_open_v2(path, &db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
	                    NULL) != SQLITE_OK)
		die(db, "open");
	sqlite3_busy_timeout(db, 60000);
	exec(db, "PRAGMA synchronous=OFF");
	return db;
}

/* Inserts rows [k*rows, (k+1)*rows) and checks each can be read back. */
static void work(sqlite3 *db, int k, int batch)
{
	/* The shared connection only writes (RETURNING reads the row back in the
	 * same statement): a read left open on it by one thread while the other
	 * writes would make sqlite answer "database is locked" at once. */
	sqlite3_stmt *ins, *sel;
	if (sqlite3_prepare_v2(db, "INSERT INTO t(id, who, val) VALUES (?, ?, ?) RETURNING val", -1,
	                       &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT val FROM t WHERE id = ?", -1, &sel, NULL) != SQLITE_OK)
		die(db, "prepare");
	for (int i = 0; i < rows; i++) {
		if (batch && i % batch == 0)
			exec(db, "BEGIN IMMEDIATE");
		long id = (long)k * rows + i;
		char val[64];
		snprintf(val, sizeof val, "row-%ld-%d", id * 7919 % 100003, k);
		sqlite3_bind_int64(ins, 1, id);
		sqlite3_bind_int(ins, 2, k);
		sqlite3_bind_text(ins, 3, val, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(ins) != SQLITE_ROW ||
		    strcmp((const char *)sqlite3_column_text(ins, 0), val) != 0 ||
		    sqlite3_step(ins) != SQLITE_DONE)
			die(db, "insert");
		sqlite3_reset(ins);
		if (batch) { /* inside this connection's own transaction */
			sqlite3_bind_int64(sel, 1, id);
			if (sqlite3_step(sel) != SQLITE_ROW ||
			    strcmp((const char *)sqlite3_column_text(sel, 0), val) != 0)
				die(db, "select");
			sqlite3_reset(sel);
		}
		if (batch && (i % batch == batch - 1 || i == rows - 1))
			exec(db, "COMMIT");
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(sel);
}

static void *thread_main(void *arg)
{
	int k = (int)(long)arg;
	if (k < 2) {
		work(shared, k, 0); /* autocommit on the shared connection */
	} else {
		sqlite3 *db = open_db();
		work(db, k, 50);
		sqlite3_close(db);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: sqlite_threads DBFILE ROWS\n");
		return 2;
	}
	path = argv[1];
	rows = atoi(argv[2]);
	if (!sqlite3_threadsafe())
		die(NULL, "libsqlite3 is not thread-safe");
	remove(path);
	shared = open_db();
	exec(shared, "PRAGMA journal_mode=WAL");
	exec(shared, "CREATE TABLE t(id INTEGER PRIMARY KEY, who INTEGER, val TEXT)");
	pthread_t t[4];
	for (long k = 0; k < 4; k++)
		if (pthread_create(&t[k], NULL, thread_main, (void *)k) != 0)
			die(NULL, "pthread_create");
	for (int k = 0; k < 4; k++)
		pthread_join(t[k], NULL);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(shared,
	                       "SELECT count(*), sum(id), sum(who), sum(length(val)), "
	                       "sum(unicode(substr(val, 5, 1)) * id % 1000) FROM t",
	                       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		die(shared, "summary");
	printf("rows %lld ids %lld who %lld chars %lld mix %lld\n", sqlite3_column_int64(st, 0),
	       sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
	       sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4));
	sqlite3_finalize(st);
	sqlite3_close(shared);
	return 0;
}

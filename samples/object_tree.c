/* object_tree: a directory tree whose nodes each have a lock; renaming and
 * size updates walk from a directory down to one of its entries, always
 * locking the parent before the child.
 *
 * Verdict: CLEAN, at both levels. Every node's lock is one class (all
 * created by node_new()), and two of them are held at once: nesting within
 * one class, which is not a cycle. The order is by the tree (parent first),
 * not by address, and it is the same on every path, so no pair of nodes is
 * ever taken both ways. Every node has one parent (the nesting is a tree),
 * so lockgraph does not read an address order into it.
 *
 * Threads "renamer" and "sizer" walk the same tree at the same time.
 *
 * Output:
 *   tree: 7 nodes, total size 70, 6 renames
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FANOUT 2
#define DEPTH  3

struct node {
	pthread_mutex_t lock;
	struct node *child[FANOUT];
	int nchildren;
	long size;
	int renames;
};

static int nodes;
static pthread_barrier_t both_started;

static __attribute__((noinline)) struct node *node_new(long size)
{
	struct node *n = calloc(1, sizeof(*n));
	if (!n)
		abort();
	pthread_mutex_init(&n->lock, NULL); /* lg:node-init */
	n->size = size;
	nodes++;
	return n;
}

static struct node *build(int depth)
{
	struct node *n = node_new(10);
	for (int i = 0; depth > 1 && i < FANOUT; i++)
		n->child[n->nchildren++] = build(depth - 1);
	return n;
}

/* Parent, then child: the tree's order. */
static __attribute__((noinline)) void rename_entry(struct node *dir, int i)
{
	pthread_mutex_lock(&dir->lock);           /* lg:rename-parent */
	pthread_mutex_lock(&dir->child[i]->lock); /* lg:rename-child */
	dir->child[i]->renames++;
	pthread_mutex_unlock(&dir->child[i]->lock);
	pthread_mutex_unlock(&dir->lock);
}

static __attribute__((noinline)) long entry_size(struct node *dir, int i)
{
	pthread_mutex_lock(&dir->lock);           /* lg:size-parent */
	pthread_mutex_lock(&dir->child[i]->lock); /* lg:size-child */
	long size = dir->child[i]->size;
	pthread_mutex_unlock(&dir->child[i]->lock);
	pthread_mutex_unlock(&dir->lock);
	return size;
}

static void walk_renaming(struct node *n)
{
	for (int i = 0; i < n->nchildren; i++) {
		rename_entry(n, i);
		walk_renaming(n->child[i]);
	}
}

static long walk_sizing(struct node *n)
{
	long total = 0;
	for (int i = 0; i < n->nchildren; i++)
		total += entry_size(n, i) + walk_sizing(n->child[i]);
	return total;
}

static struct node *root;
static long total_size;

static void *renamer(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "renamer");
	pthread_barrier_wait(&both_started);
	walk_renaming(root);
	return NULL;
}

static void *sizer(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "sizer");
	pthread_barrier_wait(&both_started);
	total_size = root->size + walk_sizing(root);
	return NULL;
}

static int count_renames(const struct node *n)
{
	int r = n->renames;
	for (int i = 0; i < n->nchildren; i++)
		r += count_renames(n->child[i]);
	return r;
}

int main(void)
{
	root = build(DEPTH);
	pthread_barrier_init(&both_started, NULL, 2);
	pthread_t t, u;
	pthread_create(&t, NULL, renamer, NULL);
	pthread_create(&u, NULL, sizer, NULL);
	pthread_join(t, NULL);
	pthread_join(u, NULL);
	printf("tree: %d nodes, total size %ld, %d renames\n", nodes, total_size,
	       count_renames(root));
	return 0;
}

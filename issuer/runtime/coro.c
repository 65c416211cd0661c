/*
 * coro.c: coroutines on ucontext (see coro.h). A stack is one anonymous mapping:
 * the guard page at its low end, CORO_STACK bytes of stack, and the struct coro
 * itself at the top. Ended stacks wait in one free list (under a mutex, since a
 * coroutine may end on another thread than the one it started on) for reuse.
 *
 * Under AddressSanitizer every switch is announced (__sanitizer_start_switch_fiber
 * and _finish_), so it knows which stack is live; under valgrind every stack is
 * registered, so memcheck does not take a switch for a stack overflow. Neither
 * costs anything in a plain build.
 *
 * The switching functions read the thread-local `current` only through
 * coro_self() (never inlined), and never after a switch on the coroutine's side
 * without calling it again, so no thread's variable is used on another thread.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "runtime/coro.h"

#if defined(__SANITIZE_ADDRESS__)
#define CORO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORO_ASAN 1
#endif
#endif
#ifdef CORO_ASAN
#include <sanitizer/common_interface_defs.h>
/* Under ASan no stack is kept for reuse: every ended one is unmapped, so a
 * pointer into a coroutine's stack used after it ended faults at once. */
#define CORO_KEEP 0
#else
#define CORO_KEEP CORO_CACHE
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CORO_VALGRIND 1
#endif
#endif

struct coro {
	ucontext_t ctx;   /* its registers while suspended */
	ucontext_t *back; /* the context of the thread running it now */
	void (*fn)(void *);
	void *arg;
	void (*then)(coro *, void *); /* set by coro_suspend, run by the resumer */
	void *then_arg;
	int ended;
	char *stack; /* CORO_STACK bytes; the guard page is just below */
	size_t map_len;
	unsigned vg_id;
	void *fake;              /* ASan's fake stack of the coroutine while suspended */
	const void *back_bottom; /* ASan: the resumer's stack, to switch back to */
	size_t back_size;
	coro *next_free;
};

static __thread coro *current;
static const unsigned keep_max = CORO_KEEP;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static coro *free_list;
static unsigned n_free, n_alive;

/* see coro.h */
__attribute__((noinline)) coro *coro_self(void)
{
	__asm__ volatile("" ::: "memory"); /* never taken for a pure function and reused */
	return current;
}

/* see coro.h */
unsigned coro_alive(void)
{
	unsigned n;

	pthread_mutex_lock(&lock);
	n = n_alive;
	pthread_mutex_unlock(&lock);
	return n;
}

static void asan_start(void **fake, const void *bottom, size_t size)
{
#ifdef CORO_ASAN
	__sanitizer_start_switch_fiber(fake, bottom, size);
#else
	(void)fake, (void)bottom, (void)size;
#endif
}

static void asan_finish(void *fake, const void **bottom, size_t *size)
{
#ifdef CORO_ASAN
	__sanitizer_finish_switch_fiber(fake, bottom, size);
#else
	(void)fake, (void)bottom, (void)size;
#endif
}

/* A fresh mapping: guard page, stack, struct coro at the top. NULL when out of memory. */
static coro *map_one(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = page + CORO_STACK + ((sizeof(coro) + page - 1) / page) * page;
	char *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	coro *c;

	if (base == MAP_FAILED)
		return NULL;
	if (mprotect(base, page, PROT_NONE)) {
		munmap(base, len);
		return NULL;
	}
	c = (coro *)(base + page + CORO_STACK);
	c->stack = base + page;
	c->map_len = len;
#ifdef CORO_VALGRIND
	c->vg_id = VALGRIND_STACK_REGISTER(c->stack, c->stack + CORO_STACK);
#endif
	return c;
}

static void unmap_one(coro *c)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

#ifdef CORO_VALGRIND
	VALGRIND_STACK_DEREGISTER(c->vg_id);
#endif
	munmap(c->stack - page, c->map_len);
}

/* A stack from the free list or a new mapping; NULL at CORO_MAX or out of memory. */
static coro *take(void)
{
	coro *c = NULL;

	pthread_mutex_lock(&lock);
	if (n_alive >= CORO_MAX) {
		pthread_mutex_unlock(&lock);
		return NULL;
	}
	n_alive++;
	if ((c = free_list)) {
		free_list = c->next_free;
		n_free--;
	}
	pthread_mutex_unlock(&lock);
	if (!c && !(c = map_one())) {
		pthread_mutex_lock(&lock);
		n_alive--;
		pthread_mutex_unlock(&lock);
	}
	return c;
}

/* The coroutine ended: keep its stack for the next one, or unmap it. */
static void give_back(coro *c)
{
	int keep;

	pthread_mutex_lock(&lock);
	n_alive--;
	if ((keep = n_free < keep_max)) {
		c->next_free = free_list;
		free_list = c;
		n_free++;
	}
	pthread_mutex_unlock(&lock);
	if (!keep)
		unmap_one(c);
}

/* The first frame of every coroutine. */
static void entry(void)
{
	coro *c = coro_self();

	asan_finish(NULL, &c->back_bottom, &c->back_size);
	c->fn(c->arg);
	c->ended = 1;
	asan_start(NULL, c->back_bottom, c->back_size); /* NULL: this stack is done */
	setcontext(c->back);
}

/* Run c on this thread until it suspends or ends; then its `then`, or its release. */
static void run(coro *c)
{
	ucontext_t here;
	coro *prev = current;
	void *fake = NULL;
	void (*then)(coro *, void *);

	c->back = &here;
	current = c;
	asan_start(&fake, c->stack, CORO_STACK);
	swapcontext(&here, &c->ctx);
	asan_finish(fake, NULL, NULL);
	current = prev;
	if (c->ended) {
		give_back(c);
		return;
	}
	then = c->then;
	c->then = NULL;
	if (then)
		then(c, c->then_arg); /* c may belong to another thread from here on */
}

/* c's context, to begin at entry on its own stack; 0 or -1. getcontext only
 * fills in the signal mask and registers here: makecontext replaces where it
 * would return, so it never returns twice. */
__attribute__((noinline)) static int prepare(coro *c)
{
	if (getcontext(&c->ctx))
		return -1;
	c->ctx.uc_stack.ss_sp = c->stack;
	c->ctx.uc_stack.ss_size = CORO_STACK;
	c->ctx.uc_link = NULL;
	makecontext(&c->ctx, entry, 0);
	return 0;
}

/* see coro.h */
int coro_start(void (*fn)(void *arg), void *arg)
{
	coro *c = take();

	if (!c)
		return -1;
	c->fn = fn;
	c->arg = arg;
	c->then = NULL;
	c->ended = 0;
	c->fake = NULL;
	if (prepare(c)) {
		give_back(c);
		return -1;
	}
	run(c);
	return 0;
}

/* see coro.h */
void coro_resume(coro *c)
{
	run(c);
}

/* see coro.h */
void coro_suspend(void (*then)(coro *c, void *arg), void *arg)
{
	coro *c = coro_self();

	c->then = then;
	c->then_arg = arg;
	asan_start(&c->fake, c->back_bottom, c->back_size);
	swapcontext(&c->ctx, c->back);
	/* Resumed, perhaps on another thread: c->back is that thread's context now. */
	asan_finish(c->fake, &c->back_bottom, &c->back_size);
}

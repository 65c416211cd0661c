/*
 * coro.h: coroutines, each on a stack of its own, so that a request handler
 * written as straight-line code can wait (for a database connection on another
 * thread) without holding its event loop. A coroutine runs on whichever thread
 * resumes it: started on a loop thread, it may suspend there, be resumed on a
 * worker thread for a store call, suspend again and be resumed back on its loop.
 * It never runs on two threads at once: whoever is handed a suspended coroutine
 * owns it until it suspends again.
 *
 * The hand-over is race-free by construction: coro_suspend names a function
 * (`then`) that runs on the resuming thread's own stack after the coroutine has
 * switched away completely; only then may `then` give the coroutine to another
 * thread. Code in a coroutine must not keep the address of a thread-local
 * variable across a suspension (it may wake up on another thread).
 *
 * Bounds: each stack is CORO_STACK bytes above an unmapped guard page (an
 * overflow faults at once instead of writing over another stack); at most
 * CORO_MAX coroutines are alive in the process (a start beyond it is refused:
 * the caller answers 503); CORO_CACHE ended stacks are kept for reuse (none in
 * an ASan build, so that a late use of an ended coroutine's stack faults).
 * Nothing may keep a pointer into a coroutine's stack past its end: H2O keeps
 * pointers to response header values, so copyreq.c copies them.
 * Memory: a stack costs only the pages it touched.
 */
#ifndef ISSUER_CORO_H
#define ISSUER_CORO_H

#ifndef CORO_STACK
#define CORO_STACK (256 * 1024)
#endif
#ifndef CORO_MAX
#define CORO_MAX 4096
#endif
#ifndef CORO_CACHE
#define CORO_CACHE 64
#endif

typedef struct coro coro;

/* Start fn(arg) on a new coroutine and run it on the calling thread until it
 * suspends or ends. 0, or -1 when no coroutine can be had (CORO_MAX alive, or
 * out of memory): fn did not run. */
int coro_start(void (*fn)(void *arg), void *arg);

/* The coroutine running on the calling thread, or NULL outside any. */
coro *coro_self(void);

/* From inside a coroutine: switch away from it. The coro_start or coro_resume
 * that ran it then calls then(c, arg) on its own thread and returns. Returns
 * when someone resumes the coroutine, on that someone's thread. */
void coro_suspend(void (*then)(coro *c, void *arg), void *arg);

/* Continue the suspended coroutine c on the calling thread until it suspends
 * again or ends (then its stack is released). */
void coro_resume(coro *c);

/* Coroutines alive now (started and not yet ended). */
unsigned coro_alive(void);

#endif

// Package parallel is dossier's one worker pool. Validation, the
// pre-receive hook, key rotation and commit writes each spread work over
// the cores; they do it the same way here, so that a fix to how work is
// handed out or how a failure stops it is made once.
package parallel

import (
	"runtime"
	"sync"
)

// Workers is the number of workers a pool uses when asked for n <= 0:
// one per core Go may use.
func Workers(n int) int {
	if n <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return n
}

// Feed runs workers goroutines (one per core when workers <= 0). Each calls
// newWorker once, so that it may keep state of its own (a parser, a
// buffer), and then hands every item it receives to the function
// newWorker returned. feed sends the items from the calling goroutine,
// which lets a producer stream (read blobs one after the other from git)
// while the workers check them. Feed returns when every item is handled.
func Feed[T any](workers int, feed func(send func(T)), newWorker func() func(T)) {
	n := Workers(workers)
	jobs := make(chan T, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			handle := newWorker()
			for item := range jobs {
				handle(item)
			}
		}()
	}
	feed(func(item T) { jobs <- item })
	close(jobs)
	wg.Wait()
}

// Each calls fn for every item on workers goroutines (one per core when
// workers <= 0) and returns the errors fn returned, in the items' order,
// so that a report of what failed does not depend on scheduling. Every
// item is tried: a caller that must stop at the first error checks the
// result before it acts on anything.
func Each[T any](workers int, items []T, fn func(T) error) []error {
	errs := make([]error, len(items))
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	Feed(min(Workers(workers), max(len(items), 1)), func(send func(int)) {
		for _, i := range idx {
			send(i)
		}
	}, func() func(int) {
		return func(i int) { errs[i] = fn(items[i]) }
	})
	var out []error
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

package parallel

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

func TestFeedHandsEveryItemOnceWithStatePerWorker(t *testing.T) {
	var workers atomic.Int32
	seen := make([]atomic.Int32, 1000)
	Feed(4, func(send func(int)) {
		for i := range seen {
			send(i)
		}
	}, func() func(int) {
		workers.Add(1)
		return func(i int) { seen[i].Add(1) }
	})
	if n := workers.Load(); n != 4 {
		t.Errorf("newWorker called %d times, want 4", n)
	}
	for i := range seen {
		if n := seen[i].Load(); n != 1 {
			t.Fatalf("item %d handled %d times", i, n)
		}
	}
}

func TestEachReturnsErrorsInItemOrder(t *testing.T) {
	items := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	errs := Each(3, items, func(i int) error {
		if i%3 == 0 {
			return fmt.Errorf("item %d", i)
		}
		return nil
	})
	var got []string
	for _, err := range errs {
		got = append(got, err.Error())
	}
	want := []string{"item 0", "item 3", "item 6", "item 9"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("errors %v, want %v", got, want)
	}
	if errs := Each(0, []int{}, func(int) error { return errors.New("never") }); errs != nil {
		t.Errorf("no items gave %v", errs)
	}
}

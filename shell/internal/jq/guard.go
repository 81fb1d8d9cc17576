package jq

import (
	"fmt"
	"sync"

	"github.com/itchyny/gojq"

	"github.com/imdsplay/imdsplay/shell/internal/limit"
)

// mulFunc is the function every multiplication of a filter becomes (see guardMul).
const mulFunc = "__imds_multiply"

// guardMul makes q, an a * b, a call of mulFunc(a; b), which refuses a string repetition
// ("x" * 1e9) larger than the run's buffer limit before building it, and leaves every other
// multiplication to gojq. gojq compiles operators to its own functions, which a program cannot
// replace, but calls of a custom function evaluate their arguments exactly as an operator's,
// generators included, so the rewrite changes no result. rewrite (index.go) calls it on every
// query, after the query's parts.
func guardMul(q *gojq.Query) {
	if q.Op == gojq.OpMul && q.Left != nil && q.Right != nil {
		args := []*gojq.Query{q.Left, q.Right}
		*q = gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeFunc, Func: &gojq.Func{Name: mulFunc, Args: args}}}
	}
}

// multiplier is the code of mulFunc's fallback: gojq's own multiplication, compiled on the
// first multiplication rather than when the program starts.
var multiplier = sync.OnceValue(func() *gojq.Code {
	q, err := gojq.Parse(".[0] * .[1]")
	if err != nil {
		panic(err)
	}
	c, err := gojq.Compile(q)
	if err != nil {
		panic(err)
	}
	return c
})

// multiply is mulFunc for a run: it checks the size of a string repetition against the
// buffer limit, then multiplies as gojq does.
func multiply(run *limit.Run) func(any, []any) any {
	return func(_ any, args []any) any {
		l, r := args[0], args[1]
		if _, ok := r.(string); ok {
			l, r = r, l
		}
		if s, ok := l.(string); ok && run != nil {
			if n, ok := number(r); ok && n > 0 && float64(len(s))*n > float64(run.Limits().Buffer()) && run.Limits().Buffer() > 0 {
				run.OverMemory(fmt.Sprintf("jq's string repetition would take more than %s", limit.Bytes(run.Limits().Buffer())))
				return run.Err()
			}
		}
		v, _ := multiplier().Run([]any{args[0], args[1]}).Next()
		return v
	}
}

// number is a jq number as a float64.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case float64:
		return v, true
	}
	if f, ok := gojq.ToFloat64(v); ok {
		return f, true
	}
	return 0, false
}

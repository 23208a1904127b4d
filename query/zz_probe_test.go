package query_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stockroomhq/stockroom/query"
)

func TestZZProbe(t *testing.T) {
	if os.Getenv("ZZ") == "" {
		t.Skip()
	}
	q := benchDB(t, 1000000)
	var fs []query.Filter
	for _, s := range strings.Split(os.Getenv("ZZ"), ";") {
		kv := strings.SplitN(s, "=", 2)
		switch kv[0] {
		case "name":
			fs = append(fs, query.Filter{Name: kv[1]})
		case "desc":
			fs = append(fs, query.Filter{Description: kv[1]})
		case "meta":
			fs = append(fs, query.Filter{MetaQuery: []string{kv[1]}})
		case "on":
			fs = append(fs, query.Filter{OriginalName: kv[1]})
		case "ol":
			fs = append(fs, query.Filter{OriginalLocation: kv[1]})
		}
	}
	for _, f := range fs {
		var ds []time.Duration
		var tot int
		for range 9 {
			start := time.Now()
			p, err := q.List(context.Background(), f)
			ds = append(ds, time.Since(start))
			if err != nil {
				t.Fatal(err)
			}
			tot = p.Total
		}
		slices.Sort(ds)
		fmt.Printf("%-60v med %6.2f max %6.2f total %d\n", fmt.Sprintf("%+v %+v %v %v %v", f.Name, f.Description, f.MetaQuery, f.OriginalName, f.OriginalLocation), float64(ds[4])/1e6, float64(ds[8])/1e6, tot)
	}
}

package params_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/stockroomhq/stockroom/httpapi/internal/params"
)

func ExampleParse() {
	body := `{"Name": "photo", "Tags": [1, 2], "Meta": "{\"iso\": 200}", "StartDate": "someday"}`
	r := httptest.NewRequest("POST", "/v1/resource/edit?id=7&Name=ignored", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")

	v, err := params.Parse(r, 1<<20)
	if err != nil {
		fmt.Println(err)
		return
	}
	id, _, _ := v.Int64("ID", "resourceId")
	name, _, _ := v.String("name")
	tags, _, _ := v.Int64s("tags")
	meta, _, _ := v.Object("meta")
	fmt.Println(id, name, tags, string(meta))

	_, hasGroups, _ := v.Int64s("Groups")
	fmt.Println("Groups present:", hasGroups)

	_, _, err = v.Time("StartDate")
	if e, ok := errors.AsType[*params.Error](err); ok {
		fmt.Printf("field %s: %v\n", e.Field, err)
	}
	// Output:
	// 7 photo [1 2] {"iso":200}
	// Groups present: false
	// field StartDate: StartDate: "someday" is not a date (want YYYY-MM-DD or RFC 3339)
}

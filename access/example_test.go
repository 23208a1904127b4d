package access_test

import (
	"fmt"

	"github.com/stockroomhq/stockroom/access"
)

// An application with users of its own hands the server a Principal of
// its own making (httpapi.AccessConfig.Principal); the role decides.
func ExamplePrincipal() {
	team := int64(12) // a group: the user writes within it and the groups under it
	for _, p := range []access.Principal{
		{Name: "ann", Role: access.RoleEditor},
		{Name: "vis", Role: access.RoleGuest},
		{Name: "ci", Role: access.RoleUser, TokenName: "nightly", ScopeGroupID: &team},
		{Name: "new", Role: access.RoleUser},
	} {
		fmt.Printf("%s: read %v, write %v, delete %v, admin %v\n", p.Actor(), p.CanRead(), p.CanWrite(), p.CanDelete(), p.CanAdmin())
	}
	// Output:
	// ann: read true, write true, delete true, admin false
	// vis: read true, write false, delete false, admin false
	// ci (token nightly): read true, write true, delete false, admin false
	// new: read true, write false, delete false, admin false
}

package httpapi

// routeBulk registers the endpoints of bulk edits and merge.
func (a *api) routeBulk(r *router) {}

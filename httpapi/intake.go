package httpapi

// routeIntake registers the endpoints of remote URLs, background downloads and local files.
func (a *api) routeIntake(r *router) {}

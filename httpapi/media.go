package httpapi

// routeMedia registers the endpoints of previews, rotation, dimensions and similar images.
func (a *api) routeMedia(r *router) {}

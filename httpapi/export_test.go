package httpapi

// StatusOf exposes statusOf to the tests of package httpapi_test.
var StatusOf = statusOf

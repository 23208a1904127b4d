package resources

// migrationHistory is reserved for history (the versions and bulk issues).
// Empty until that work lands.
const migrationHistory = ``

package resources

// migrationSearch is reserved for search and list speed (the list-and-search issue).
// Empty until that work lands.
const migrationSearch = ``

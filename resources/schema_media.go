package resources

// migrationMedia is reserved for media (the media issue).
// Empty until that work lands.
const migrationMedia = ``

package resources

// migrationIntake is reserved for intake (the bringing-files-in issue).
// Empty until that work lands.
const migrationIntake = ``

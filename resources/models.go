package resources

import (
	"time"

	"github.com/uptrace/bun"

	"github.com/stockroomhq/stockroom/blobstore"
)

// HashType names the content hash of every blob Stockroom writes.
const HashType = "SHA256"

// Resource is a stored file with its metadata and relations. JSON field
// names follow the /v1 API.
type Resource struct {
	bun.BaseModel `bun:"table:resources,alias:r"`

	ID               int64          `bun:"id,pk,autoincrement" json:"ID"`
	CreatedAt        time.Time      `bun:"created_at,notnull" json:"CreatedAt"`
	UpdatedAt        time.Time      `bun:"updated_at,notnull" json:"UpdatedAt"`
	Name             string         `bun:"name,notnull" json:"Name"`
	Description      string         `bun:"description,notnull" json:"Description"`
	OriginalName     string         `bun:"original_name,notnull" json:"OriginalName"`
	OriginalLocation string         `bun:"original_location,notnull" json:"OriginalLocation"`
	Hash             blobstore.Hash `bun:"hash,notnull" json:"Hash"`
	HashType         string         `bun:"hash_type,notnull" json:"HashType"`
	// Location is the blob's path inside the store ("ab/cd/<hash>").
	Location string `bun:"location,notnull" json:"Location"`
	// StorageLocation names the alternative filesystem a file is referenced
	// on; nil for files in the blob store.
	StorageLocation *string `bun:"storage_location" json:"StorageLocation"`
	Meta            Meta    `bun:"meta,notnull,type:text" json:"Meta"`
	Width           int     `bun:"width,notnull" json:"Width"`
	Height          int     `bun:"height,notnull" json:"Height"`
	FileSize        int64   `bun:"file_size,notnull" json:"FileSize"`
	Category        string  `bun:"category,notnull" json:"Category"`
	ContentType     string  `bun:"content_type,notnull" json:"ContentType"`
	ContentCategory string  `bun:"content_category,notnull" json:"ContentCategory"`
	// CreatedBy and UpdatedBy name who made the resource and who last
	// edited it (see WithActor); "" when no one was signed in.
	CreatedBy string `bun:"created_by,notnull" json:"CreatedBy"`
	UpdatedBy string `bun:"updated_by,notnull" json:"UpdatedBy"`

	OwnerID            *int64            `bun:"owner_id" json:"OwnerId"`
	Owner              *Group            `bun:"rel:belongs-to,join:owner_id=id" json:"Owner"`
	ResourceCategoryID *int64            `bun:"resource_category_id" json:"ResourceCategoryId"`
	ResourceCategory   *ResourceCategory `bun:"rel:belongs-to,join:resource_category_id=id" json:"ResourceCategory"`
	SeriesID           *int64            `bun:"series_id" json:"SeriesId"`
	Series             *Series           `bun:"rel:belongs-to,join:series_id=id" json:"Series"`
	CurrentVersionID   *int64            `bun:"current_version_id" json:"currentVersionId"`

	Tags   []*Tag   `bun:"m2m:resource_tags,join:Resource=Tag" json:"Tags"`
	Groups []*Group `bun:"m2m:groups_related_resources,join:Resource=Group" json:"Groups"`
	Notes  []*Note  `bun:"m2m:resource_notes,join:Resource=Note" json:"Notes"`
}

// Version is one file of a resource's history. JSON field names follow the
// versions API (camelCase).
type Version struct {
	bun.BaseModel `bun:"table:resource_versions,alias:v"`

	ID            int64          `bun:"id,pk,autoincrement" json:"id"`
	ResourceID    int64          `bun:"resource_id,notnull" json:"resourceId"`
	VersionNumber int            `bun:"version_number,notnull" json:"versionNumber"`
	Hash          blobstore.Hash `bun:"hash,notnull" json:"hash"`
	HashType      string         `bun:"hash_type,notnull" json:"hashType"`
	FileSize      int64          `bun:"file_size,notnull" json:"fileSize"`
	ContentType   string         `bun:"content_type,notnull" json:"contentType"`
	Width         int            `bun:"width,notnull" json:"width"`
	Height        int            `bun:"height,notnull" json:"height"`
	Location      string         `bun:"location,notnull" json:"location"`
	Comment       string         `bun:"comment,notnull" json:"comment"`
	CreatedAt     time.Time      `bun:"created_at,notnull" json:"createdAt"`
}

// Tag is a label applied to resources, groups and notes. Names are unique.
type Tag struct {
	bun.BaseModel `bun:"table:tags,alias:t"`

	ID          int64     `bun:"id,pk,autoincrement" json:"ID"`
	CreatedAt   time.Time `bun:"created_at,notnull" json:"CreatedAt"`
	UpdatedAt   time.Time `bun:"updated_at,notnull" json:"UpdatedAt"`
	Name        string    `bun:"name,notnull" json:"Name"`
	Description string    `bun:"description,notnull" json:"Description"`
	Meta        Meta      `bun:"meta,notnull,type:text" json:"Meta"`
}

// Category classifies groups ("group category" in the API).
type Category struct {
	bun.BaseModel `bun:"table:categories,alias:c"`

	ID          int64     `bun:"id,pk,autoincrement" json:"ID"`
	CreatedAt   time.Time `bun:"created_at,notnull" json:"CreatedAt"`
	UpdatedAt   time.Time `bun:"updated_at,notnull" json:"UpdatedAt"`
	Name        string    `bun:"name,notnull" json:"Name"`
	Description string    `bun:"description,notnull" json:"Description"`
}

// Group is a collection (a person, an album, a project...). It may own
// resources and notes, and may itself have a parent group (OwnerID).
type Group struct {
	bun.BaseModel `bun:"table:groups,alias:g"`

	ID          int64     `bun:"id,pk,autoincrement" json:"ID"`
	CreatedAt   time.Time `bun:"created_at,notnull" json:"CreatedAt"`
	UpdatedAt   time.Time `bun:"updated_at,notnull" json:"UpdatedAt"`
	Name        string    `bun:"name,notnull" json:"Name"`
	Description string    `bun:"description,notnull" json:"Description"`
	URL         string    `bun:"url,notnull" json:"URL"`
	Meta        Meta      `bun:"meta,notnull,type:text" json:"Meta"`
	OwnerID     *int64    `bun:"owner_id" json:"OwnerId"`
	Owner       *Group    `bun:"rel:belongs-to,join:owner_id=id" json:"Owner,omitempty"`
	CategoryID  *int64    `bun:"category_id" json:"CategoryId"`
	Category    *Category `bun:"rel:belongs-to,join:category_id=id" json:"Category,omitempty"`
	Tags        []*Tag    `bun:"m2m:group_tags,join:Group=Tag" json:"Tags,omitempty"`
}

// Note is a piece of text related to resources and groups.
type Note struct {
	bun.BaseModel `bun:"table:notes,alias:n"`

	ID          int64       `bun:"id,pk,autoincrement" json:"ID"`
	CreatedAt   time.Time   `bun:"created_at,notnull" json:"CreatedAt"`
	UpdatedAt   time.Time   `bun:"updated_at,notnull" json:"UpdatedAt"`
	Name        string      `bun:"name,notnull" json:"Name"`
	Description string      `bun:"description,notnull" json:"Description"`
	Meta        Meta        `bun:"meta,notnull,type:text" json:"Meta"`
	OwnerID     *int64      `bun:"owner_id" json:"OwnerId"`
	Owner       *Group      `bun:"rel:belongs-to,join:owner_id=id" json:"Owner,omitempty"`
	StartDate   *time.Time  `bun:"start_date" json:"StartDate"`
	EndDate     *time.Time  `bun:"end_date" json:"EndDate"`
	NoteTypeID  *int64      `bun:"note_type_id" json:"NoteTypeId"`
	Tags        []*Tag      `bun:"m2m:note_tags,join:Note=Tag" json:"Tags,omitempty"`
	Groups      []*Group    `bun:"m2m:groups_related_notes,join:Note=Group" json:"Groups,omitempty"`
	Resources   []*Resource `bun:"m2m:resource_notes,join:Note=Resource" json:"Resources,omitempty"`
}

// ResourceCategory is a kind of resource, with an optional JSON schema for
// its meta.
type ResourceCategory struct {
	bun.BaseModel `bun:"table:resource_categories,alias:rc"`

	ID          int64     `bun:"id,pk,autoincrement" json:"ID"`
	CreatedAt   time.Time `bun:"created_at,notnull" json:"CreatedAt"`
	UpdatedAt   time.Time `bun:"updated_at,notnull" json:"UpdatedAt"`
	Name        string    `bun:"name,notnull" json:"Name"`
	Description string    `bun:"description,notnull" json:"Description"`
	MetaSchema  string    `bun:"meta_schema,notnull" json:"MetaSchema"`
}

// Series is an ordered set of resources (pages of a scan, shots of a burst),
// addressed by ID or by its unique slug.
type Series struct {
	bun.BaseModel `bun:"table:series,alias:s"`

	ID        int64       `bun:"id,pk,autoincrement" json:"ID"`
	CreatedAt time.Time   `bun:"created_at,notnull" json:"CreatedAt"`
	UpdatedAt time.Time   `bun:"updated_at,notnull" json:"UpdatedAt"`
	Name      string      `bun:"name,notnull" json:"Name"`
	Slug      string      `bun:"slug,notnull" json:"Slug"`
	Meta      Meta        `bun:"meta,notnull,type:text" json:"Meta"`
	Resources []*Resource `bun:"rel:has-many,join:id=series_id" json:"Resources,omitempty"`
}

// The join tables of the many-to-many relations.
type (
	resourceTag struct {
		bun.BaseModel `bun:"table:resource_tags"`
		ResourceID    int64     `bun:"resource_id,pk"`
		Resource      *Resource `bun:"rel:belongs-to,join:resource_id=id"`
		TagID         int64     `bun:"tag_id,pk"`
		Tag           *Tag      `bun:"rel:belongs-to,join:tag_id=id"`
	}
	resourceGroup struct {
		bun.BaseModel `bun:"table:groups_related_resources"`
		ResourceID    int64     `bun:"resource_id,pk"`
		Resource      *Resource `bun:"rel:belongs-to,join:resource_id=id"`
		GroupID       int64     `bun:"group_id,pk"`
		Group         *Group    `bun:"rel:belongs-to,join:group_id=id"`
	}
	resourceNote struct {
		bun.BaseModel `bun:"table:resource_notes"`
		ResourceID    int64     `bun:"resource_id,pk"`
		Resource      *Resource `bun:"rel:belongs-to,join:resource_id=id"`
		NoteID        int64     `bun:"note_id,pk"`
		Note          *Note     `bun:"rel:belongs-to,join:note_id=id"`
	}
	groupTag struct {
		bun.BaseModel `bun:"table:group_tags"`
		GroupID       int64  `bun:"group_id,pk"`
		Group         *Group `bun:"rel:belongs-to,join:group_id=id"`
		TagID         int64  `bun:"tag_id,pk"`
		Tag           *Tag   `bun:"rel:belongs-to,join:tag_id=id"`
	}
	noteTag struct {
		bun.BaseModel `bun:"table:note_tags"`
		NoteID        int64 `bun:"note_id,pk"`
		Note          *Note `bun:"rel:belongs-to,join:note_id=id"`
		TagID         int64 `bun:"tag_id,pk"`
		Tag           *Tag  `bun:"rel:belongs-to,join:tag_id=id"`
	}
	noteGroup struct {
		bun.BaseModel `bun:"table:groups_related_notes"`
		NoteID        int64  `bun:"note_id,pk"`
		Note          *Note  `bun:"rel:belongs-to,join:note_id=id"`
		GroupID       int64  `bun:"group_id,pk"`
		Group         *Group `bun:"rel:belongs-to,join:group_id=id"`
	}
)

// RegisterModels registers the join tables with db, as bun requires before
// any many-to-many query. Migrate calls it; so must any other user of a
// fresh *bun.DB.
func RegisterModels(db *bun.DB) {
	db.RegisterModel((*resourceTag)(nil), (*resourceGroup)(nil), (*resourceNote)(nil),
		(*groupTag)(nil), (*noteTag)(nil), (*noteGroup)(nil))
}

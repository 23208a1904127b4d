package resources

import (
	"encoding/json"

	"github.com/stockroomhq/stockroom/media/probe"
)

// withEXIF returns meta with the EXIF facts stored under the reserved key
// probe.MetaKey, replacing whatever the caller put there. Without facts,
// meta is returned unchanged.
func withEXIF(meta Meta, exif map[string]any) (Meta, error) {
	if len(exif) == 0 {
		return meta, nil
	}
	obj := map[string]json.RawMessage{}
	if len(meta) > 0 {
		if err := json.Unmarshal(meta, &obj); err != nil {
			return nil, invalidf("Meta must be a JSON object")
		}
	}
	facts, err := json.Marshal(exif)
	if err != nil {
		return nil, err
	}
	obj[probe.MetaKey] = facts
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	return Meta(b), nil
}

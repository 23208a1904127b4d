package seed

import (
	"math/rand/v2"
	"strings"
)

// commonWords are the most frequent words of names and descriptions, most
// frequent first. Beyond them the vocabulary continues with made-up words
// (see vocabulary), so that the long tail holds words that only a handful of
// resources use, as in a real library.
var commonWords = strings.Fields(`
	photo image the of and new final draft copy scan summer winter spring autumn
	beach mountain city river lake forest garden street market harbor bridge tower
	castle church school office house kitchen studio stage concert festival party
	wedding birthday family friends team meeting project report invoice contract
	budget plan design sketch logo banner poster flyer brochure catalog manual guide
	sunset sunrise night morning evening portrait landscape panorama macro detail
	cover page chapter section figure table chart diagram map plan layout mockup
	product sample test demo review version release update backup archive export
	red blue green yellow orange purple black white grey golden silver dark light
	old small large big tall wide long short early late first second third last
	north south east west central upper lower inner outer front back side top bottom
	dog cat bird horse flower tree leaf rock stone sand snow rain cloud storm wind
	car train plane boat bike road path trail station airport port gate door window
	wall floor roof room hall garden park field farm village island coast valley
	hill cliff cave desert jungle ocean sea wave shore pier lighthouse dock ship
	music video audio voice sound song album track clip trailer interview lecture
	recipe menu dinner lunch breakfast coffee tea bread cake fruit apple lemon
	holiday travel trip tour visit journey vacation weekend anniversary reunion
	client customer vendor partner supplier employee manager director board press
	launch campaign event exhibition conference workshop seminar training course
	print proof edit crop resize retouch raw original master thumbnail preview
	drawing painting illustration render model texture pattern background icon
	annual quarterly monthly weekly daily spring fall season year month week day
`)

// The made-up words of the vocabulary's long tail (names, places, codes
// and foreign words in a real library) are syllables of an onset, a vowel
// and an optional coda, each drawn with a skew, so that like real words
// they share common trigrams and each also has rarer ones.
var (
	onsets = strings.Fields(`b c d f g h k l m n p r s t v w br cl dr fl gr kr pl st tr ch sh th
		sp sk sl sm sn sw qu z x j y ph wh gl bl pr fr`)
	vowels = strings.Fields(`a e i o u a e i o ea ai ou ie oo y au ei`)
	codas  = strings.Fields(`n r s l t m nd rk st ng ck x ft lp mb rg sk th z`)
)

// skewed picks from items, the first ones more often.
func skewed(rng *rand.Rand, items []string) string {
	return items[min(len(items)-1, int(rng.ExpFloat64()*float64(len(items))/3))]
}

// vocabulary returns n words: commonWords first, then made-up words of two
// or three syllables, all distinct, in a fixed order for a given rng.
func vocabulary(rng *rand.Rand, n int) []string {
	seen := make(map[string]bool, n)
	words := make([]string, 0, n)
	for _, w := range commonWords {
		if len(words) < n && !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	for len(words) < n {
		var b strings.Builder
		for i := range 2 + rng.IntN(2) {
			if i == 0 || rng.IntN(3) > 0 {
				b.WriteString(skewed(rng, onsets))
			}
			b.WriteString(skewed(rng, vowels))
			if rng.IntN(3) == 0 {
				b.WriteString(skewed(rng, codas))
			}
		}
		if w := b.String(); len(w) >= 4 && !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}

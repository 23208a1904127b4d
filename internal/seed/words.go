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

// syllables build the made-up words of the vocabulary's long tail.
var syllables = strings.Fields(`ka lo mi ra te su no vi da pe ru zo ba ne ki ta mo li sa fu
	do ge ha ja ko lu ma ni po re si to ve wa xe yo zu bri cla dra fle gro kru pla sti tra vor`)

// vocabulary returns n words: commonWords first, then made-up words of two
// to four syllables, all distinct, in a fixed order for a given rng.
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
		for range 2 + rng.IntN(3) {
			b.WriteString(syllables[rng.IntN(len(syllables))])
		}
		if w := b.String(); !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}

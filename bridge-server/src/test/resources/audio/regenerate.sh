#!/usr/bin/env bash
# Regenerates the MP3 fixtures (needs sox and lame: apt-get install sox lame).
set -euo pipefail
cd "$(dirname "$0")"
sox -n -r 44100 -c 1 -b 16 /tmp/tone-440-2s.wav synth 2 sine 440 vol 0.25
lame --quiet -b 64 -m m /tmp/tone-440-2s.wav tone-440-2s.mp3
sox -n -r 22050 -c 2 -b 16 /tmp/tone-440-10s.wav synth 10 sine 440 vol 0.25
lame --quiet -b 64 /tmp/tone-440-10s.wav tone-440-10s-22k-stereo.mp3
rm -f /tmp/tone-440-2s.wav /tmp/tone-440-10s.wav

#!/usr/bin/env bash
# Makes the binary files of the two sample brand packs (brands/*/brand.json are committed; what this writes is not):
# logos drawn by ffmpeg, a music bed synthesized by ffmpeg, fonts copied from Debian's fonts-dejavu-core.
# Nothing is downloaded. Safe to run again; scripts/setup runs it. Needs ffmpeg (with libfreetype, libopus).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fonts=/usr/share/fonts/truetype/dejavu
ff=(ffmpeg -hide_banner -loglevel error -y)

# riverside: DejaVu Serif, an amber disc with two teal river waves, a soft A-major bed.
r="$here/riverside"
mkdir -p "$r/fonts"
cp "$fonts/DejaVuSerif.ttf" "$fonts/DejaVuSerif-Bold.ttf" "$r/fonts/"
# Disc of radius 54 at (60,60); inside it two sine "waves" 6 px thick in teal; outside transparent; the name beside it.
"${ff[@]}" -f lavfi -i "color=c=black@0:s=400x120,format=rgba" -frames:v 1 -vf "geq=\
r='if(lte(hypot(X-60,Y-60),54),if(lt(abs(Y-(62+7*sin(X/9)))-3,0)+lt(abs(Y-(80+7*sin(X/9+1)))-3,0),14,242),0)':\
g='if(lte(hypot(X-60,Y-60),54),if(lt(abs(Y-(62+7*sin(X/9)))-3,0)+lt(abs(Y-(80+7*sin(X/9+1)))-3,0),59,165),0)':\
b='if(lte(hypot(X-60,Y-60),54),if(lt(abs(Y-(62+7*sin(X/9)))-3,0)+lt(abs(Y-(80+7*sin(X/9+1)))-3,0),67,65),0)':\
a='if(lte(hypot(X-60,Y-60),54),255,0)',\
drawtext=fontfile=$fonts/DejaVuSerif-Bold.ttf:text=RIVERSIDE:fontcolor=0xFFF8EC:fontsize=40:x=128:y=30,\
drawtext=fontfile=$fonts/DejaVuSerif.ttf:text=NEWS:fontcolor=0xF2A541:fontsize=28:x=130:y=76" "$r/logo.png"
# Eight seconds of a soft chord (A, C#, E, A; frequencies on a 1/8 Hz grid so the loop is seamless) breathing slowly.
"${ff[@]}" -f lavfi -i "aevalsrc=exprs='(0.5+0.25*sin(2*PI*t/8))*(0.30*sin(2*PI*220*t)+0.22*sin(2*PI*277.125*t)+0.20*sin(2*PI*329.625*t)+0.12*sin(2*PI*440*t))*0.5':s=48000:d=8" \
  -ac 2 -c:a libopus -b:a 32k "$r/music.opus"

# orbit: DejaVu Sans Mono, a cyan planet with a ring.
o="$here/orbit"
mkdir -p "$o/fonts"
cp "$fonts/DejaVuSansMono.ttf" "$fonts/DejaVuSansMono-Bold.ttf" "$o/fonts/"
"${ff[@]}" -f lavfi -i "color=c=black@0:s=360x120,format=rgba" -frames:v 1 -vf "geq=\
r='if(lte(hypot(X-60,Y-60),34),34,if(lt(abs(hypot((X-60)/1.0,(Y-60)*3.2)-52),5),255,0))':\
g='if(lte(hypot(X-60,Y-60),34),211,if(lt(abs(hypot((X-60)/1.0,(Y-60)*3.2)-52),5),255,0))':\
b='if(lte(hypot(X-60,Y-60),34),238,if(lt(abs(hypot((X-60)/1.0,(Y-60)*3.2)-52),5),255,0))':\
a='if(lte(hypot(X-60,Y-60),34)+lt(abs(hypot((X-60)/1.0,(Y-60)*3.2)-52),5),255,0)',\
drawtext=fontfile=$fonts/DejaVuSansMono-Bold.ttf:text=ORBIT 24:fontcolor=white:fontsize=44:x=124:y=36" "$o/logo.png"
# orbit's intro: 1.6 s, a cyan ring widening out of the violet backdrop under a rising tone, fading out at the end.
"${ff[@]}" -f lavfi -i "color=c=0x1B1035:s=640x360:r=30:d=1.6,format=yuv444p" \
  -f lavfi -i "aevalsrc=exprs='0.25*sin(2*PI*(300*t+250*t*t))*min(1,t/0.1)*min(1,(1.6-t)/0.4)':s=48000:d=1.6" \
  -filter_complex "[0:v]geq=lum='if(lt(abs(hypot(X-320,Y-180)-T*150),6),170,lum(X,Y))':cb='if(lt(abs(hypot(X-320,Y-180)-T*150),6),160,cb(X,Y))':cr='if(lt(abs(hypot(X-320,Y-180)-T*150),6),60,cr(X,Y))',\
drawtext=fontfile=$fonts/DejaVuSansMono-Bold.ttf:text=ORBIT 24:fontcolor=white:fontsize=56:x=(w-tw)/2:y=(h-th)/2:alpha='min(1,t/0.6)',fade=t=out:st=1.3:d=0.3,format=yuv420p[v]" \
  -map "[v]" -map 1:a -c:v libx264 -preset veryfast -crf 28 -pix_fmt yuv420p -c:a aac -b:a 64k -shortest "$o/intro.mp4"

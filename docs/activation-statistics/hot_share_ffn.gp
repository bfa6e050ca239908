set terminal pngcairo size 900,600 font 'sans,10' noenhanced
set output 'hot_share_ffn.png'
set title 'Share of FFN activations carried by the most frequent neurons'
set xlabel 'fraction of neurons (most frequent first)'
set ylabel 'share of all activations'
set yrange [0:1.02]
set grid
set key below
set xrange [0:1]
set arrow from 0.2,0 to 0.2,0.8 nohead dt 2 lc rgb 'gray40'
set arrow from 0,0.8 to 0.2,0.8 nohead dt 2 lc rgb 'gray40'
set label 'paper: 20% carry 80%' at 0.22,0.76 tc rgb 'gray40'
plot 'hot_share_ffn.dat' using 1:2 with linespoints title 'dense, observed at 80%, QKV 50%', \
     'hot_share_ffn.dat' using 1:3 with linespoints title 'magnitude 70%, QKV 50%', \
     'hot_share_ffn.dat' using 1:4 with linespoints title 'magnitude 80%, QKV 50%', \
     'hot_share_ffn.dat' using 1:5 with linespoints title 'magnitude 90%, QKV 50%', \
     'hot_share_ffn.dat' using 1:6 with linespoints title 'relu-gated, QKV 50%', \
     'hot_share_ffn.dat' using 1:7 with linespoints title 'synthetic, LLaMA2-70B defaults'

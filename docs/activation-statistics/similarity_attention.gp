set terminal pngcairo size 900,600 font 'sans,10' noenhanced
set output 'similarity_attention.png'
set title 'QKV-input token-wise similarity vs token distance'
set xlabel 'token distance d'
set ylabel '|A_t & A_t+d| / |A_t|'
set yrange [0:1.02]
set grid
set key below
set xrange [1:32]
set arrow from 1,0.9 to 32,0.9 nohead dt 2 lc rgb 'gray40'
set arrow from 10,0.7 to 32,0.7 nohead dt 2 lc rgb 'gray40'
set label 'paper: >90% adjacent' at 20,0.93 tc rgb 'gray40'
set label 'paper: about 70% beyond 10' at 20,0.73 tc rgb 'gray40'
plot 'similarity_attention.dat' using 1:2 with linespoints title 'dense, observed at 80%, QKV 50%', \
     'similarity_attention.dat' using 1:3 with linespoints title 'magnitude 70%, QKV 50%', \
     'similarity_attention.dat' using 1:4 with linespoints title 'magnitude 80%, QKV 50%', \
     'similarity_attention.dat' using 1:5 with linespoints title 'magnitude 90%, QKV 50%', \
     'similarity_attention.dat' using 1:6 with linespoints title 'relu-gated, QKV 50%', \
     'similarity_attention.dat' using 1:7 with linespoints title 'synthetic, LLaMA2-70B defaults'

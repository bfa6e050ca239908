set terminal pngcairo size 1000,560 font 'sans,10' noenhanced
set output 'similarity.png'
set title 'Token-wise similarity (FFN)'
set datafile missing '?'
set grid ytics
set xlabel 'token distance d'
set ylabel 'similarity'
set yrange [0:1.02]
set key bottom left
set arrow from 1,0.9 to 10,0.9 nohead dt 2 lc rgb 'gray40'
set arrow from 11,0.7 to 32,0.7 nohead dt 2 lc rgb 'gray40'
set label 'paper: > 90% adjacent, about 70% beyond 10' at 2,0.95 tc rgb 'gray40'
plot 'similarity.dat' using 1:2 with linespoints title 'synthetic FFN', '' using 1:3 with linespoints title 'synthetic QKV input', '' using 1:4 with linespoints title 'real stories260K FFN', '' using 1:5 with linespoints title 'real stories260K QKV input'

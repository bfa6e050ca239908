set terminal pngcairo size 1000,560 font 'sans,10' noenhanced
set output 'multipliers.png'
set title 'Throughput against the multipliers per GEMV unit, LLaMA2-70B, batch 1'
set datafile missing '?'
set grid ytics
set ylabel 'tokens/s'
set yrange [0:*]
set xlabel 'multipliers per GEMV unit'
set logscale x 2
plot 'multipliers.dat' using 1:2 with linespoints lw 2 title 'Hermes'

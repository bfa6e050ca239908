set terminal pngcairo size 1000,560 font 'sans,10' noenhanced
set output 'dimm_count.png'
set title 'Throughput against the number of NDP-DIMMs, LLaMA2-70B, batch 1'
set datafile missing '?'
set grid ytics
set ylabel 'tokens/s'
set yrange [0:*]
set xlabel 'NDP-DIMMs'
plot 'dimm_count.dat' using 1:2 with linespoints lw 2 title 'Hermes'

set terminal pngcairo size 1000,560 font 'sans,10' noenhanced
set output 'end_to_end.png'
set title 'End-to-end tokens/s, batch 1, RTX4090 + 8 NDP-DIMMs (log scale)'
set datafile missing '?'
set grid ytics
set ylabel 'tokens/s'
set logscale y
set yrange [0.01:*]
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key top left
set xtics nomirror
plot 'end_to_end.dat' using 2:xtic(1) title 'Accelerate', \
     'end_to_end.dat' using 3 title 'FlexGen', \
     'end_to_end.dat' using 4 title 'DejaVu', \
     'end_to_end.dat' using 5 title 'Hermes-host', \
     'end_to_end.dat' using 6 title 'Hermes-base', \
     'end_to_end.dat' using 7 title 'Hermes'
